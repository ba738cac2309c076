package dev.kiln.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.api.control.CacheOptions;
import dev.kiln.api.control.SolveRequest;
import dev.kiln.engine.cache.CacheExport;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What the daemon makes of a SolveRequest's fields before any build runs. */
class SolveTranslationTest {

    @Test
    void aPreV04ClientsCacheExportKeepsItsAttributesBesideItsRef() {
        // buildctl before v0.4 sent --export-cache as ExportRefDeprecated with its attributes (mode=max) beside it
        SolveRequest request = SolveRequest.newBuilder()
                .setFrontend("dockerfile.v0")
                .setCache(CacheOptions.newBuilder()
                        .setExportRefDeprecated("127.0.0.1:5000/app:cache")
                        .putExportAttrsDeprecated("mode", "max"))
                .build();

        List<CacheExport> exports = SolveTranslation.of(request, null, Set.of(), false)
                .buildRequest(List.of())
                .cacheExports();

        assertThat(exports).singleElement().isInstanceOfSatisfying(CacheExport.Registry.class, registry -> {
            assertThat(registry.ref()).isEqualTo("127.0.0.1:5000/app:cache");
            assertThat(registry.max()).isTrue();
        });
    }
}
