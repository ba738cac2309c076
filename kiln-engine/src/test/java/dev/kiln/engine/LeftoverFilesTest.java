package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.export.ExportTarget;
import dev.kiln.llb.RunOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a killed build leaves (a temporary blob in the content store's ingest directory, a hidden partial archive in
 * the user's output folder) is deleted by the next engine or the next export of the same output, and nothing else.
 */
class LeftoverFilesTest {

    @TempDir
    Path dir;

    @Test
    void openingTheEngineDeletesTemporaryBlobsAKilledBuildLeft() throws Exception {
        try (EngineFixture kiln = new EngineFixture(dir)) {
            Path ingest = kiln.dir.resolve("state/worker/images/content/ingest");
            assertThat(ingest).isDirectory();
            Path stale = Files.write(ingest.resolve("tmp-" + UUID.randomUUID()), new byte[200_000]);
            Path partial = Files.write(ingest.resolve("sha256-" + "ab".repeat(32) + ".partial"), new byte[10]);

            kiln.reopen();

            assertThat(stale).doesNotExist();
            assertThat(partial).exists();
        }
    }

    @Test
    @Timeout(120)
    void nextExportOfAnArchiveDeletesItsStalePartialFilesOnly() throws Exception {
        Path out = Files.createDirectories(dir.resolve("out"));
        Path stale = Files.write(out.resolve(".app.tar.8234723847123.partial"), new byte[50_000]);
        Path staleToo = Files.write(out.resolve(".app.tar.12.partial"), new byte[10]);
        Path live = Files.write(out.resolve(".app.tar.777.partial"), new byte[10]);
        Path[] kept = {
            Files.writeString(out.resolve(".app.tar.x1.partial"), "not Kiln's name"),
            Files.writeString(out.resolve(".other.tar.55.partial"), "another output's"),
            Files.writeString(out.resolve("app.tar.partial"), "the user's"),
            Files.writeString(out.resolve(".app.tar.55.partial.bak"), "the user's"),
        };
        Process holder = lockInAnotherProcess(live);
        try (EngineFixture kiln = new EngineFixture(dir.resolve("engine"))) {
            kiln.build(
                    EngineFixture.base().run(RunOption.sh("echo built > /f")).root(),
                    new ExportTarget.TarFile(out.resolve("app.tar")));

            assertThat(out.resolve("app.tar")).isRegularFile();
            assertThat(stale).doesNotExist();
            assertThat(staleToo).doesNotExist();
            // An export still running in another process keeps its file.
            assertThat(live).exists();
            for (Path file : kept) {
                assertThat(file).exists();
            }

            holder.destroyForcibly();
            assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
            kiln.build(
                    EngineFixture.base().run(RunOption.sh("echo again > /f")).root(),
                    new ExportTarget.TarFile(out.resolve("app.tar")));

            assertThat(live).doesNotExist();
            for (Path file : kept) {
                assertThat(file).exists();
            }
        } finally {
            holder.destroyForcibly();
        }
    }

    /** A JVM that locks {@code file} as an export writing it does, until it is killed. */
    private Process lockInAnotherProcess(Path file) throws Exception {
        Path source = dir.resolve("Hold.java");
        Files.writeString(source, """
                import java.nio.channels.FileChannel;
                import java.nio.file.Path;
                import java.nio.file.StandardOpenOption;

                public class Hold {
                    public static void main(String[] args) throws Exception {
                        FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.WRITE);
                        channel.lock();
                        System.out.println("locked");
                        Thread.sleep(60_000);
                    }
                }
                """);
        return ChildJvm.startAndAwait("locked", source.toString(), file.toString());
    }
}
