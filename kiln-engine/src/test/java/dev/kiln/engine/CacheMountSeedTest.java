package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.llb.CacheSharing;
import dev.kiln.llb.FileAction;
import dev.kiln.llb.MkdirOption;
import dev.kiln.llb.Mount;
import dev.kiln.llb.Owner;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheMountSeedTest {
    @TempDir
    Path tmp;

    @Test
    void cacheSeededFromASelectedDirectoryTakesItsOwnerAndMode() throws Exception {
        try (EngineFixture kiln = new EngineFixture(tmp)) {
            State seed = State.scratch()
                    .file(FileAction.mkdir("/cache", 0750, MkdirOption.makeParents(), Owner.ids(1000, 50)));
            State built = EngineFixture.base()
                    .run(
                            RunOption.sh("stat -c '%u %g %a' /owned > /owned-stat.txt"),
                            RunOption.mount(
                                    "/owned",
                                    Mount.cache("probe", CacheSharing.SHARED)
                                            .seededFrom(seed)
                                            .withSelector("/cache")))
                    .root();
            Path out = kiln.build(built);
            assertThat(out.resolve("owned-stat.txt")).hasContent("1000 50 750\n");
        }
    }
}
