package dev.kiln.cli;

import com.google.protobuf.Timestamp;
import dev.kiln.api.control.ControlGrpc;
import dev.kiln.api.control.DiskUsageRequest;
import dev.kiln.api.control.PruneRequest;
import dev.kiln.api.control.UsageRecord;
import dev.kiln.cli.remote.DaemonConnection;
import java.io.PrintStream;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;

/**
 * {@code kiln du [-v] [--filter F]} and {@code kiln prune [--all] [--keep-duration D] [--keep-storage SIZE] [--filter F]}:
 * the cache records of the daemon (or, with {@code --no-daemon}, of the engine opened here), listed or removed through
 * Control.DiskUsage and Control.Prune and printed as {@code buildctl du} and {@code buildctl prune} v0.24 print them:
 * the table (ID, with * for a mutable record; RECLAIMABLE; SIZE in decimal units, with * when shared) or with
 * {@code -v} a block per record, then the totals. One thing more than buildctl: its LAST ACCESSED column, which
 * buildctl's header names but leaves empty, says when a build last used the record.
 */
record DiskUsageCommand(PrintStream out, PrintStream err) {

    private static Options options(boolean prune) {
        Options options = new Options()
                .addOption(Option.builder()
                        .longOpt("state")
                        .hasArg()
                        .argName("DIR")
                        .desc("the state whose records to " + "show (default: $KILN_STATE)")
                        .get())
                .addOption(Option.builder()
                        .longOpt("addr")
                        .hasArg()
                        .argName("ADDRESS")
                        .desc("the daemon to ask " + "(default: $KILN_HOST, else the state's)")
                        .get())
                .addOption(Option.builder()
                        .longOpt("no-daemon")
                        .desc("open the state in this process instead of " + "asking its daemon (also KILN_DAEMON=0)")
                        .get())
                .addOption(Option.builder("f")
                        .longOpt("filter")
                        .hasArg()
                        .argName("FILTER")
                        .desc(
                                "only records "
                                        + "matching FILTER, such as type==regular or description~=RUN (repeatable: any matches)")
                        .get())
                .addOption(Option.builder("v")
                        .longOpt("verbose")
                        .desc("a block of details per record")
                        .get())
                .addOption(Option.builder("h")
                        .longOpt("help")
                        .desc("print this help")
                        .get());
        if (prune) {
            options.addOption(Option.builder()
                    .longOpt("all")
                    .desc("remove internal and frontend records too")
                    .get());
            options.addOption(Option.builder()
                    .longOpt("keep-duration")
                    .hasArg()
                    .argName("DURATION")
                    .desc("keep " + "records used within DURATION (e.g. 24h)")
                    .get());
            options.addOption(size(
                    "keep-storage",
                    "remove least recently used records until the cache takes at "
                            + "most SIZE (buildctl's name for --max-used-space)"));
            options.addOption(size(
                    "keep-storage-min",
                    "never remove records while the cache takes less than SIZE "
                            + "(buildctl's name for --reserved-space)"));
            options.addOption(size(
                    "free-storage",
                    "remove least recently used records until the disk has SIZE free "
                            + "(buildctl's name for --min-free-space)"));
            options.addOption(size("max-used-space", "as --keep-storage"));
            options.addOption(size("reserved-space", "as --keep-storage-min"));
            options.addOption(size("min-free-space", "as --free-storage"));
        }
        return options;
    }

    private static Option size(String name, String description) {
        return Option.builder()
                .longOpt(name)
                .hasArg()
                .argName("SIZE")
                .desc(description + "; SIZE in MB as buildctl takes it, or with a unit: 10GB, 512MB")
                .get();
    }

    private static String help(boolean prune) {
        return prune ? """
                usage: kiln prune [--all] [--keep-duration D] [--keep-storage SIZE] [--filter F]... [-v]
                                  [--state DIR | --addr ADDRESS | --no-daemon]
                Removes build cache records that no build uses, and prints them with the space freed.
                """ : """
                usage: kiln du [-v] [--filter F]... [--state DIR | --addr ADDRESS | --no-daemon]
                Lists the build cache records with their sizes, and the totals.
                """;
    }

    private static CommandLine parse(List<String> args, boolean prune) throws UsageException, HelpRequested {
        CommandLine line;
        try {
            line = DefaultParser.builder()
                    .setAllowPartialMatching(false)
                    .get()
                    .parse(options(prune), args.toArray(String[]::new));
        } catch (ParseException e) {
            throw new UsageException(e.getMessage());
        }
        if (line.hasOption("help")) {
            StringWriter text = new StringWriter();
            new org.apache.commons.cli.HelpFormatter()
                    .printOptions(new java.io.PrintWriter(text), 110, options(prune), 2, 2);
            throw new HelpRequested(help(prune) + text);
        }
        if (!line.getArgList().isEmpty()) {
            throw new UsageException((prune ? "prune" : "du") + " takes no arguments, got " + line.getArgList());
        }
        return line;
    }

    private static List<String> filters(CommandLine line) {
        String[] values = line.getOptionValues("filter");
        return values == null ? List.of() : List.of(values);
    }

    private static boolean embedded(CommandLine line) {
        return line.hasOption("no-daemon") || "0".equals(System.getenv("KILN_DAEMON"));
    }

    private static Path state(CommandLine line) {
        String state = line.getOptionValue("state");
        return state == null ? null : Path.of(state);
    }

    int du(List<String> args) throws Exception {
        CommandLine line = parse(args, false);
        List<String> filters = filters(line);
        List<UsageRecord> records;
        if (embedded(line)) {
            try {
                records = EmbeddedDiskUsage.diskUsage(state(line), filters, err);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        } else {
            try (DaemonConnection daemon = connect(line)) {
                records = ControlGrpc.newBlockingStub(daemon.channel())
                        .diskUsage(DiskUsageRequest.newBuilder()
                                .addAllFilter(filters)
                                .build())
                        .getRecordList();
            }
        }
        out.print(render(records, line.hasOption("verbose"), filters.isEmpty()));
        return 0;
    }

    /** What {@code buildctl du} prints for these records: the table or the blocks, then (unfiltered) the totals. */
    static String render(List<UsageRecord> records, boolean verbose, boolean totals) {
        // buildctl's client orders them so: smallest first, then by id
        List<UsageRecord> sorted = records.stream()
                .sorted(Comparator.comparingLong(UsageRecord::getSize).thenComparing(UsageRecord::getID))
                .toList();
        StringBuilder text = new StringBuilder();
        if (verbose) {
            sorted.forEach(record -> text.append(verbose(record)));
        } else {
            StringBuilder table = new StringBuilder(header());
            sorted.forEach(record -> table.append(row(record)));
            text.append(TabColumns.align(table.toString()));
        }
        if (totals) {
            text.append(TabColumns.align(summary(sorted)));
        }
        return text.toString();
    }

    int prune(List<String> args) throws Exception {
        CommandLine line = parse(args, true);
        PruneRequest.Builder request =
                PruneRequest.newBuilder().setAll(line.hasOption("all")).addAllFilter(filters(line));
        if (line.hasOption("keep-duration")) {
            String text = line.getOptionValue("keep-duration");
            try {
                request.setKeepDuration(dev.kiln.core.GoDurations.parse(text).toNanos());
            } catch (IllegalArgumentException e) {
                throw new UsageException("--keep-duration: expected a duration such as 24h or 90m, got '" + text + "'");
            }
        }
        request.setMaxUsedSpace(storage(line, "max-used-space", "keep-storage"));
        request.setReservedSpace(storage(line, "reserved-space", "keep-storage-min"));
        request.setMinFreeSpace(storage(line, "min-free-space", "free-storage"));
        boolean verbose = line.hasOption("verbose");
        long[] total = {0};
        boolean[] first = {true};
        Consumer<UsageRecord> print = record -> {
            total[0] += record.getSize();
            if (verbose) {
                out.print(verbose(record));
            } else {
                // buildctl flushes its table after each row: the header aligns with the first row only
                out.print(TabColumns.align((first[0] ? header() : "") + row(record)));
                first[0] = false;
            }
            out.flush();
        };
        if (embedded(line)) {
            try {
                EmbeddedDiskUsage.prune(state(line), request.build(), print, err);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        } else {
            try (DaemonConnection daemon = connect(line)) {
                ControlGrpc.newBlockingStub(daemon.channel())
                        .prune(request.build())
                        .forEachRemaining(print);
            }
        }
        out.print(TabColumns.align("Total:\t" + size(total[0]) + "\n"));
        return 0;
    }

    /**
     * Bytes from {@code --NAME} or its buildctl name {@code --OLDNAME} (not both): a plain number is megabytes, as
     * buildctl takes it; with a unit it is read as docker's sizes are (10GB, 512m; powers of 1024).
     */
    static long storage(CommandLine line, String name, String oldName) throws UsageException {
        if (line.hasOption(name) && line.hasOption(oldName)) {
            throw new UsageException("--" + name + " and --" + oldName + " say the same; give one");
        }
        String flag = line.hasOption(name) ? name : oldName;
        String text = line.getOptionValue(flag);
        if (text == null) {
            return 0;
        }
        if (text.strip().matches("\\d+(\\.\\d+)?")) {
            double bytes = Double.parseDouble(text.strip()) * 1e6;
            if (bytes >= Long.MAX_VALUE) {
                throw new UsageException("--" + flag + ": " + text + " is too large");
            }
            return (long) bytes;
        }
        try {
            return ByteSize.parse("--" + flag, text);
        } catch (UsageException e) {
            throw new UsageException("--" + flag + ": expected a size in MB (such as 512) or with a unit (such as "
                    + "10GB or 512MB), got '" + text + "'");
        }
    }

    private DaemonConnection connect(CommandLine line) throws Exception {
        String state = line.getOptionValue("state");
        return DaemonBuild.connect(
                line.getOptionValue("addr", System.getenv("KILN_HOST")), state == null ? null : Path.of(state), err);
    }

    private static String header() {
        return "ID\tRECLAIMABLE\tSIZE\tLAST ACCESSED\n";
    }

    private static String row(UsageRecord record) {
        String id = record.getID() + (record.getMutable() ? "*" : "");
        return "%-71s\t%-11s\t%s\t%s\n"
                .formatted(
                        id,
                        !record.getInUse(),
                        size(record.getSize()) + (record.getShared() ? "*" : ""),
                        lastAccessed(record));
    }

    /** buildctl's block of one record: a key and its value a line, then an empty line. */
    static String verbose(UsageRecord record) {
        StringBuilder block = new StringBuilder();
        block.append("ID:\t").append(record.getID()).append('\n');
        if (record.getParentsCount() > 0) {
            block.append("Parents:\t")
                    .append(String.join(";", record.getParentsList()))
                    .append('\n');
        }
        block.append("Created at:\t").append(goTime(record.getCreatedAt())).append('\n');
        block.append("Mutable:\t").append(record.getMutable()).append('\n');
        block.append("Reclaimable:\t").append(!record.getInUse()).append('\n');
        block.append("Shared:\t").append(record.getShared()).append('\n');
        block.append("Size:\t").append(size(record.getSize())).append('\n');
        if (!record.getDescription().isEmpty()) {
            block.append("Description:\t").append(record.getDescription()).append('\n');
        }
        block.append("Usage count:\t").append(record.getUsageCount()).append('\n');
        if (record.hasLastUsedAt()) {
            block.append("Last used:\t").append(goTime(record.getLastUsedAt())).append('\n');
        }
        if (!record.getRecordType().isEmpty()) {
            block.append("Type:\t").append(record.getRecordType()).append('\n');
        }
        return TabColumns.align(block.append('\n').toString());
    }

    /** buildctl's totals: shared and private only when something is shared. */
    private static String summary(List<UsageRecord> records) {
        long total = 0;
        long reclaimable = 0;
        long shared = 0;
        for (UsageRecord record : records) {
            if (record.getSize() > 0) {
                total += record.getSize();
                reclaimable += record.getInUse() ? 0 : record.getSize();
            }
            shared += record.getShared() ? record.getSize() : 0;
        }
        StringBuilder text = new StringBuilder();
        if (shared > 0) {
            text.append("Shared:\t").append(size(shared)).append('\n');
            text.append("Private:\t").append(size(total - shared)).append('\n');
        }
        text.append("Reclaimable:\t").append(size(reclaimable)).append('\n');
        text.append("Total:\t").append(size(total)).append('\n');
        return text.toString();
    }

    /** A time as Go prints a UTC time.Time: 2006-01-02 15:04:05.999999999 +0000 UTC, trailing zeros cut. */
    static String goTime(Timestamp time) {
        String seconds = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT)
                .withZone(ZoneOffset.UTC)
                .format(Instant.ofEpochSecond(time.getSeconds()));
        String fraction = time.getNanos() == 0
                ? ""
                : ("." + String.format(Locale.ROOT, "%09d", time.getNanos())).replaceAll("0+$", "");
        return seconds + fraction + " +0000 UTC";
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
