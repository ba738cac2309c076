package dev.kiln.cli;

import com.google.protobuf.Timestamp;
import dev.kiln.api.control.ControlGrpc;
import dev.kiln.api.control.DiskUsageRequest;
import dev.kiln.api.control.PruneRequest;
import dev.kiln.api.control.UsageRecord;
import dev.kiln.cli.remote.DaemonConnection;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;

import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;

/**
 * {@code kiln du} and {@code kiln prune [--all] [--keep-duration D]}: the daemon's cache records, listed or removed
 * through Control.DiskUsage and Control.Prune, printed as {@code buildctl du} and {@code buildctl prune} print them
 * (ID, with * for a mutable record; RECLAIMABLE; SIZE in decimal units, with * when shared; LAST ACCESSED) and a total.
 */
final class DiskUsageCommand {

    private static final String ROW = "%-71s\t%-11s\t%-9s\t%s%n";

    private final PrintStream out;
    private final PrintStream err;

    DiskUsageCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    private static Options options(boolean prune) {
        Options options = new Options()
                .addOption(Option.builder().longOpt("state").hasArg().argName("DIR").desc("the state whose daemon to "
                        + "ask (default: $KILN_STATE)").get())
                .addOption(Option.builder().longOpt("addr").hasArg().argName("ADDRESS").desc("the daemon to ask "
                        + "(default: $KILN_HOST, else the state's)").get())
                .addOption(Option.builder("h").longOpt("help").desc("print this help").get());
        if (prune) {
            options.addOption(Option.builder().longOpt("all").desc("remove every record not in use, not only "
                    + "internal ones").get());
            options.addOption(Option.builder().longOpt("keep-duration").hasArg().argName("DURATION").desc("keep "
                    + "records used within DURATION (e.g. 24h)").get());
        }
        return options;
    }

    private static String help(boolean prune) {
        return prune ? """
                usage: kiln prune [--all] [--keep-duration DURATION] [--state DIR | --addr ADDRESS]
                Removes build cache records of the daemon that are not in use, and prints them with the space freed.
                """ : """
                usage: kiln du [--state DIR | --addr ADDRESS]
                Lists the build cache records of the daemon with their sizes, and the total.
                """;
    }

    private static CommandLine parse(List<String> args, boolean prune) throws UsageException, HelpRequested {
        CommandLine line;
        try {
            line = DefaultParser.builder().setAllowPartialMatching(false).get().parse(options(prune),
                    args.toArray(String[]::new));
        } catch (ParseException e) {
            throw new UsageException(e.getMessage());
        }
        if (line.hasOption("help")) {
            throw new HelpRequested(help(prune));
        }
        if (!line.getArgList().isEmpty()) {
            throw new UsageException((prune ? "prune" : "du") + " takes no arguments, got " + line.getArgList());
        }
        return line;
    }

    int du(List<String> args) throws Exception {
        CommandLine line = parse(args, false);
        try (DaemonConnection daemon = connect(line)) {
            List<UsageRecord> records = ControlGrpc.newBlockingStub(daemon.channel())
                    .diskUsage(DiskUsageRequest.getDefaultInstance()).getRecordList();
            header();
            long total = 0;
            long reclaimable = 0;
            long shared = 0;
            for (UsageRecord record : records) {
                row(record);
                if (record.getSize() > 0) {
                    total += record.getSize();
                    reclaimable += record.getInUse() ? 0 : record.getSize();
                }
                shared += record.getShared() ? record.getSize() : 0;
            }
            if (shared > 0) {
                out.println("Shared:\t\t" + size(shared));
                out.println("Private:\t" + size(total - shared));
            }
            out.println("Reclaimable:\t" + size(reclaimable));
            out.println("Total:\t\t" + size(total));
        }
        return 0;
    }

    int prune(List<String> args) throws Exception {
        CommandLine line = parse(args, true);
        PruneRequest.Builder request = PruneRequest.newBuilder().setAll(line.hasOption("all"));
        if (line.hasOption("keep-duration")) {
            String text = line.getOptionValue("keep-duration");
            try {
                request.setKeepDuration(dev.kiln.core.GoDurations.parse(text).toNanos());
            } catch (IllegalArgumentException e) {
                throw new UsageException("--keep-duration: expected a duration such as 24h or 90m, got '" + text + "'");
            }
        }
        try (DaemonConnection daemon = connect(line)) {
            Iterator<UsageRecord> removed = ControlGrpc.newBlockingStub(daemon.channel()).prune(request.build());
            long total = 0;
            boolean first = true;
            while (removed.hasNext()) {
                if (first) {
                    header();
                    first = false;
                }
                UsageRecord record = removed.next();
                row(record);
                total += Math.max(0, record.getSize());
            }
            out.println("Total:\t" + size(total));
        }
        return 0;
    }

    private DaemonConnection connect(CommandLine line) throws Exception {
        String state = line.getOptionValue("state");
        return DaemonBuild.connect(line.getOptionValue("addr", System.getenv("KILN_HOST")),
                state == null ? null : Path.of(state), err);
    }

    private void header() {
        out.printf(ROW, "ID", "RECLAIMABLE", "SIZE", "LAST ACCESSED");
    }

    private void row(UsageRecord record) {
        out.printf(ROW, record.getID() + (record.getMutable() ? "*" : ""), !record.getInUse(),
                size(record.getSize()) + (record.getShared() ? "*" : ""), lastAccessed(record));
    }

    private static String lastAccessed(UsageRecord record) {
        Timestamp used = record.hasLastUsedAt() ? record.getLastUsedAt() : record.getCreatedAt();
        if (used.getSeconds() == 0) {
            return "";
        }
        Duration ago = Duration.between(Instant.ofEpochSecond(used.getSeconds(), used.getNanos()), Instant.now());
        if (ago.toMinutes() < 1) {
            return "Less than a minute ago";
        }
        if (ago.toHours() < 1) {
            return plural(ago.toMinutes(), "minute") + " ago";
        }
        if (ago.toDays() < 1) {
            return plural(ago.toHours(), "hour") + " ago";
        }
        return plural(ago.toDays(), "day") + " ago";
    }

    private static String plural(long count, String unit) {
        return count + " " + unit + (count == 1 ? "" : "s");
    }

    /** BuildKit's byte sizes: whole bytes below 1 kB, else two decimals of the largest decimal unit. */
    static String size(long bytes) {
        if (bytes < 1000) {
            return bytes + "B";
        }
        String[] units = {"kB", "MB", "GB", "TB", "PB", "EB"};
        BigDecimal value = BigDecimal.valueOf(bytes);
        int unit = -1;
        while (value.compareTo(BigDecimal.valueOf(1000)) >= 0 && unit < units.length - 1) {
            value = value.divide(BigDecimal.valueOf(1000));
            unit++;
        }
        return value.setScale(2, RoundingMode.HALF_EVEN).toPlainString() + units[unit];
    }
}
