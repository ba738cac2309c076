package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Timestamp;
import dev.kiln.api.control.UsageRecord;
import dev.kiln.engine.BuildRequest;
import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineOptions;
import dev.kiln.engine.FrontendSpec;
import dev.kiln.llb.OpOption;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.worker.BusyboxRootfs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln du} and {@code kiln prune}: what they print, byte for byte as buildctl v0.24 prints it. */
class DiskUsageCommandTest {

    @TempDir
    Path tmp;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final DiskUsageCommand command =
            new DiskUsageCommand(new PrintStream(out, true), new PrintStream(err, true));

    private String printed() {
        String text = out.toString(StandardCharsets.UTF_8);
        out.reset();
        return text;
    }

    private static UsageRecord record(String id, long size, boolean mutable, boolean inUse, boolean shared) {
        return UsageRecord.newBuilder()
                .setID(id)
                .setSize(size)
                .setMutable(mutable)
                .setInUse(inUse)
                .setShared(shared)
                .build();
    }

    @Test
    void theTableAndTotalsAreAlignedAsBuildctlAlignsThem() {
        // expected: the output of buildctl v0.24's printTable and printSummary (Go's tabwriter) for these records
        String table = DiskUsageCommand.render(
                List.of(
                        record("k3x1", 123_456_789, false, true, false),
                        record("abc", 4, true, false, false),
                        record("sh", 1000, false, false, true)),
                false,
                true);

        assertThat(table)
                .isEqualTo("ID\t\t\t\t\t\t\t\t\tRECLAIMABLE\tSIZE\t\tLAST ACCESSED\n"
                        + "abc*" + " ".repeat(67) + "\ttrue       \t4B\t\t\n"
                        + "sh" + " ".repeat(69) + "\ttrue       \t1.00kB*\t\t\n"
                        + "k3x1" + " ".repeat(67) + "\tfalse      \t123.46MB\t\n"
                        + "Shared:\t\t1.00kB\n"
                        + "Private:\t123.46MB\n"
                        + "Reclaimable:\t1.00kB\n"
                        + "Total:\t\t123.46MB\n");
        assertThat(DiskUsageCommand.render(List.of(record("abc", 4, true, false, false)), false, false))
                .as("a filtered listing has no totals")
                .doesNotContain("Total");
    }

    @Test
    void verboseBlocksAreBuildctls() {
        UsageRecord record = record("r1", 2_500_000, false, false, false).toBuilder()
                .addParents("p1")
                .addParents("p2")
                .setDescription("write big")
                .setUsageCount(3)
                .setRecordType("regular")
                .setCreatedAt(Timestamp.newBuilder().setSeconds(1_796_558_400L).setNanos(120_000_000))
                .setLastUsedAt(Timestamp.newBuilder().setSeconds(1_796_562_000L))
                .build();

        assertThat(DiskUsageCommand.render(List.of(record), true, true)).isEqualTo("""
                ID:\t\tr1
                Parents:\tp1;p2
                Created at:\t2026-12-06 12:00:00.12 +0000 UTC
                Mutable:\tfalse
                Reclaimable:\ttrue
                Shared:\t\tfalse
                Size:\t\t2.50MB
                Description:\twrite big
                Usage count:\t3
                Last used:\t2026-12-06 13:00:00 +0000 UTC
                Type:\t\tregular

                Reclaimable:\t2.50MB
                Total:\t\t2.50MB
                """);
    }

    @Test
    void duAndPruneWithoutADaemonListAndRemoveTheStatesRecords() throws Exception {
        Path rootfs = BusyboxRootfs.populate(Files.createDirectories(tmp.resolve("rootfs")));
        Path state = tmp.resolve("state");
        try (Engine engine = Engine.open(new EngineOptions(state, "auto"))) {
            for (String name : List.of("one", "two")) {
                State step = State.local("rootfs")
                        .run(RunOption.sh("head -c 300000 /dev/zero > /" + name), OpOption.customName("write " + name))
                        .root();
                engine.build(
                        new BuildRequest(
                                new FrontendSpec.Llb(step.marshal()), Map.of(), Map.of("rootfs", rootfs), List.of()),
                        event -> {});
            }
        }
        String s = state.toString();

        assertThat(command.du(List.of("--no-daemon", "--state", s))).isZero();
        List<String> table = printed().lines().toList();
        assertThat(table.getFirst()).isEqualTo("ID\t\t\t\t\t\t\t\t\tRECLAIMABLE\tSIZE\t\tLAST ACCESSED");
        assertThat(table).hasSize(1 + 3 + 2);
        assertThat(table.subList(1, 4))
                .allMatch(row -> row.matches("[a-z0-9]{1,71} *\ttrue {7}\t[0-9.]+[kM]?B\t+"
                        + "(Less than a minute ago|[0-9]+ minutes? ago)"));
        assertThat(table.get(4)).matches("Reclaimable:\t[0-9.]+MB");
        assertThat(table.get(5))
                .matches("Total:\t\t[0-9.]+MB")
                .endsWith(table.get(4).substring(13));

        assertThat(command.du(List.of("--no-daemon", "--state", s, "-v", "--filter", "description==write one")))
                .isZero();
        String block = printed();
        assertThat(block).containsPattern("\nSize:\t\t3[0-9][0-9]\\.[0-9][0-9]kB\n");
        assertThat(block)
                .contains("Description:\twrite one\n", "Type:\t\tregular\n", "Reclaimable:\ttrue\n", "Usage count:\t")
                .doesNotContain("write two", "Total");

        assertThat(command.prune(List.of("--no-daemon", "--state", s, "-f", "description==write one")))
                .isZero();
        List<String> pruned = printed().lines().toList();
        assertThat(pruned).hasSize(3);
        assertThat(pruned.get(1)).containsPattern("\ttrue {7}\t3[0-9][0-9]\\.[0-9][0-9]kB\t");
        assertThat(pruned.getLast()).isEqualTo("Total:\t" + pruned.get(1).split("\t")[2]);

        // a cap of 100 MB in buildctl's unit keeps the rest; 100kB with a unit does not
        assertThat(command.prune(List.of("--no-daemon", "--state", s, "--keep-storage", "100")))
                .isZero();
        assertThat(printed()).isEqualTo("Total:\t0B\n");
        assertThat(command.prune(List.of("--no-daemon", "--state", s, "--max-used-space", "100kB")))
                .isZero();
        List<String> capped = printed().lines().toList();
        assertThat(capped.getFirst()).startsWith("ID\t");
        assertThat(capped).hasSize(4);
        assertThat(capped.get(1)).containsPattern("\t3[0-9][0-9]\\.[0-9][0-9]kB\t");
        assertThat(command.du(List.of("--no-daemon", "--state", s, "--filter", "type==regular")))
                .isZero();
        assertThat(printed().lines()).hasSize(1);
    }

    @Test
    void sizesReadAsBuildctlAndDockerWriteThem() throws Exception {
        assertThatThrownBy(() ->
                        command.prune(List.of("--no-daemon", "--state", tmp.toString(), "--keep-storage", "lots")))
                .isInstanceOf(UsageException.class)
                .hasMessage("--keep-storage: expected a size in MB (such as 512) or with a unit (such as 10GB or "
                        + "512MB), got 'lots'");
        assertThatThrownBy(() -> command.prune(List.of("--keep-storage", "1", "--max-used-space", "2")))
                .hasMessage("--max-used-space and --keep-storage say the same; give one");
    }
}
