package dev.kiln.daemon;

import dev.kiln.api.DaemonEndpoint;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;

/**
 * {@code kiln daemon}: runs the engine as a service in the foreground, as buildkitd does; {@code kiln daemon status}
 * says whether one serves the state; {@code kiln daemon stop} stops it cleanly. Exit codes: 0 done, 1 failed, 2 the
 * command line was wrong (3 for status: no daemon runs).
 */
public final class DaemonCommand {

    private static final Options OPTIONS = options();

    private DaemonCommand() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String[] args) {
        return run(List.of(args), System.out, System.err);
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        CommandLine line;
        try {
            line = new DefaultParser().parse(OPTIONS, args.toArray(String[]::new));
        } catch (ParseException e) {
            err.println("kiln daemon: " + e.getMessage());
            return 2;
        }
        if (line.hasOption("help")) {
            usage(out);
            return 0;
        }
        List<String> rest = line.getArgList();
        try {
            DaemonConfig config = config(line);
            if (rest.isEmpty()) {
                return serve(config, err);
            }
            if (rest.size() == 1 && rest.getFirst().equals("status")) {
                return status(config.stateDir(), out);
            }
            if (rest.size() == 1 && rest.getFirst().equals("stop")) {
                return stop(config.stateDir(), out, err);
            }
            err.println("kiln daemon: unknown arguments " + rest + " (kiln daemon [status|stop] [options])");
            return 2;
        } catch (IllegalArgumentException e) {
            err.println("kiln daemon: " + e.getMessage());
            return 2;
        } catch (IOException e) {
            err.println("kiln daemon: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            return 130;
        }
    }

    /**
     * A daemon a client started runs in a session of its own, without a terminal, so no user's hangup can reach it.
     * But as a session leader it takes the first terminal it opens as its controlling one: the JDK opens a debug
     * shell's pty by path to hand it to the runtime (ProcessBuilder redirects have no O_NOCTTY), and that terminal's
     * hangup when the shell exits sent the daemon SIGHUP, which stopped it. A handler (not SIG_IGN, which the
     * containers' processes would inherit) keeps it running.
     */
    @SuppressWarnings("restricted")
    private static void ignoreHangups() {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> {});
        } catch (IllegalArgumentException unsupported) {
            // no SIGHUP here: nothing to guard against
        }
    }

    private static int serve(DaemonConfig config, PrintStream err) throws IOException, InterruptedException {
        config.warnings().forEach(warning -> err.println("kiln daemon: " + warning));
        // the daemon runs at the JIT's first tier (see the kiln launcher), where the JDK's SHA-256 is plain Java
        dev.kiln.core.Sha256.preferNative();
        if ("1".equals(System.getenv(dev.kiln.api.DaemonEndpoint.AUTOSTARTED))) {
            ignoreHangups();
        }
        KilnDaemon daemon = KilnDaemon.start(config, err);
        Thread hook = new Thread(
                () -> {
                    try {
                        daemon.close();
                    } catch (IOException e) {
                        err.println("kiln daemon: stopping: " + e.getMessage());
                    }
                },
                "kiln-daemon-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        err.println("kiln daemon: serving " + config.stateDir() + " on " + String.join(", ", config.addresses())
                + " (pid " + ProcessHandle.current().pid()
                + (config.idleTimeout().isZero()
                        ? ""
                        : ", stops after "
                                + config.idleTimeout().toString().substring(2).toLowerCase() + " idle")
                + ")");
        daemon.awaitStop();
        err.println("kiln daemon: stopping");
        daemon.close();
        return 0;
    }

    private static int status(Path state, PrintStream out) throws IOException {
        Optional<DaemonEndpoint> running = DaemonEndpoint.running(state);
        if (running.isEmpty()) {
            out.println("no kiln daemon serves " + state);
            return 3;
        }
        out.println("kiln daemon running: pid " + running.get().pid() + ", address "
                + running.get().address() + ", state " + state);
        return 0;
    }

    private static int stop(Path state, PrintStream out, PrintStream err) throws IOException, InterruptedException {
        Optional<DaemonEndpoint> running = DaemonEndpoint.running(state);
        if (running.isEmpty()) {
            out.println("no kiln daemon serves " + state);
            return 0;
        }
        if (!running.get().stop(Duration.ofSeconds(60))) {
            err.println("kiln daemon: pid " + running.get().pid() + " did not stop within 60 s; killed it");
        }
        out.println("kiln daemon stopped (pid " + running.get().pid() + ")");
        return 0;
    }

    private static DaemonConfig config(CommandLine line) throws IOException {
        Path defaultState = DaemonEndpoint.defaultStateDir();
        DaemonConfig config;
        if (line.hasOption("config")) {
            Path file = Path.of(line.getOptionValue("config"));
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("--config " + file + ": no such file");
            }
            config = DaemonConfig.fromFile(TomlFile.read(file), defaultState);
        } else {
            config = DaemonConfig.defaults(defaultState);
        }
        if (line.hasOption("state")) {
            config = config.withStateDir(Path.of(line.getOptionValue("state")));
        }
        config = config.withStateDir(config.stateDir().toAbsolutePath().normalize());
        if (line.hasOption("addr")) {
            config = config.withAddresses(Arrays.asList(line.getOptionValues("addr")));
        }
        if (config.addresses().isEmpty()) {
            config = config.withAddresses(List.of(DaemonEndpoint.defaultAddress(config.stateDir())));
        }
        if (line.hasOption("group")) {
            config = config.withGroup(line.getOptionValue("group"));
        }
        if (line.hasOption("tlscacert") || line.hasOption("tlscert") || line.hasOption("tlskey")) {
            if (!(line.hasOption("tlscacert") && line.hasOption("tlscert") && line.hasOption("tlskey"))) {
                throw new IllegalArgumentException("TLS needs all of --tlscacert, --tlscert and --tlskey");
            }
            config = config.withTls(new DaemonConfig.TlsFiles(
                    Path.of(line.getOptionValue("tlscacert")),
                    Path.of(line.getOptionValue("tlscert")),
                    Path.of(line.getOptionValue("tlskey"))));
        }
        if (line.hasOption("idle-timeout")) {
            config = config.withIdleTimeout(duration(line.getOptionValue("idle-timeout")));
        }
        if (line.hasOption("insecure-registry")) {
            config = config.withInsecureRegistries(Set.of(line.getOptionValues("insecure-registry")));
        }
        if (line.hasOption("allow-insecure-entitlement")) {
            Set<dev.kiln.engine.Entitlement> allowed = new java.util.LinkedHashSet<>();
            for (String name : line.getOptionValues("allow-insecure-entitlement")) {
                allowed.add(DaemonConfig.entitlement(name));
            }
            config = config.withInsecureEntitlements(allowed);
        }
        if (line.hasOption("runtime")) {
            config = config.withRuntime(line.getOptionValue("runtime"));
        }
        return config;
    }

    /** {@code 90s}, {@code 30m}, {@code 3h}, or {@code 0} for never. */
    static Duration duration(String text) {
        if (text.equals("0")) {
            return Duration.ZERO;
        }
        if (text.length() >= 2) {
            char unit = text.charAt(text.length() - 1);
            try {
                long amount = Long.parseLong(text.substring(0, text.length() - 1));
                switch (unit) {
                    case 's':
                        return Duration.ofSeconds(amount);
                    case 'm':
                        return Duration.ofMinutes(amount);
                    case 'h':
                        return Duration.ofHours(amount);
                    default:
                        break;
                }
            } catch (NumberFormatException ignored) {
                // falls through to the error below
            }
        }
        throw new IllegalArgumentException(
                "--idle-timeout " + text + ": give a duration such as 90s, 30m or 3h " + "(0: never)");
    }

    private static Options options() {
        Options options = new Options();
        options.addOption(Option.builder()
                .longOpt("addr")
                .hasArg()
                .argName("ADDRESS")
                .desc("where to listen: unix:///PATH or tcp://HOST:PORT (tcp needs the --tls* options); repeatable; "
                        + "default: /run/kiln/kiln.sock for root's default state, else STATE/kiln.sock")
                .get());
        options.addOption(Option.builder()
                .longOpt("state")
                .hasArg()
                .argName("DIR")
                .desc("the state directory to serve (default: $KILN_STATE, /var/lib/kiln for root)")
                .get());
        options.addOption(Option.builder()
                .longOpt("config")
                .hasArg()
                .argName("FILE")
                .desc("a buildkitd.toml-style file: root, [grpc] address, gid, [grpc.tls], "
                        + "[registry.\"HOST\"] http/insecure, [worker.oci] binary")
                .get());
        options.addOption(Option.builder()
                .longOpt("group")
                .hasArg()
                .argName("GROUP")
                .desc("a group whose members may use the socket")
                .get());
        options.addOption(Option.builder()
                .longOpt("tlscacert")
                .hasArg()
                .argName("FILE")
                .desc("CA certificate that client certificates must chain to (mutual TLS on tcp)")
                .get());
        options.addOption(Option.builder()
                .longOpt("tlscert")
                .hasArg()
                .argName("FILE")
                .desc("the daemon's certificate")
                .get());
        options.addOption(Option.builder()
                .longOpt("tlskey")
                .hasArg()
                .argName("FILE")
                .desc("the daemon's key")
                .get());
        options.addOption(Option.builder()
                .longOpt("idle-timeout")
                .hasArg()
                .argName("DURATION")
                .desc("stop after this long with no build and no client (90s, 30m, 3h); default 0: never")
                .get());
        options.addOption(Option.builder()
                .longOpt("insecure-registry")
                .hasArg()
                .argName("HOST[:PORT]")
                .desc("reach this registry over plain HTTP; repeatable")
                .get());
        options.addOption(Option.builder()
                .longOpt("allow-insecure-entitlement")
                .hasArg()
                .argName("NAME")
                .desc("let clients ask for network.host or security.insecure (RUN --network=host, --security=insecure);"
                        + " repeatable; default: neither")
                .get());
        options.addOption(Option.builder()
                .longOpt("runtime")
                .hasArg()
                .argName("NAME")
                .desc("the OCI runtime: runc, crun or auto (default)")
                .get());
        options.addOption(
                Option.builder("h").longOpt("help").desc("print this help").get());
        return options;
    }

    private static void usage(PrintStream out) {
        PrintWriter writer = new PrintWriter(out);
        HelpFormatter.builder()
                .setPrintWriter(writer)
                .get()
                .printHelp(
                        writer,
                        100,
                        "kiln daemon [status|stop] [options]",
                        "Runs the build engine as a service on BuildKit's Control API (buildctl, docker buildx and kiln "
                                + "drive it), in the foreground.",
                        OPTIONS,
                        2,
                        4,
                        "");
        writer.flush();
    }
}
