package dev.kiln.cli;

import java.util.List;

/**
 * The {@code kiln} command. Exit codes: 0 done, 1 the build failed, 2 the command line was wrong, 130 interrupted.
 *
 * <p>{@code kiln build} is a client of the daemon of its state ({@link DaemonBuild}), which it starts when none runs;
 * {@code --no-daemon} (KILN_DAEMON=0) builds in this process ({@link BuildCommand}). This class names no engine
 * type, not even in a catch clause: the verifier would load it, and a client's start would pay for the engine.
 */
public final class Main {

    private static final String USAGE = """
            usage: kiln COMMAND [options]
              build    build a definition, a Java frontend or a Dockerfile and export the result
              debug    debug STEP [build options]: build, then open a shell in the result of the step named STEP
              du       list the build cache and its size (-v for details, --filter to select)
              prune    remove build cache records no build uses (--all, --keep-duration, --keep-storage)
              frontend-image  pack a Java frontend (by default the Dockerfile one) as a frontend image
              daemon   run the build daemon (kiln daemon --help; also: kiln daemon status | stop)
              version  print Kiln's version
            Run 'kiln build --help' for its options; 'kiln --version' prints the version too.""";

    private Main() {}

    public static void main(String[] args) {
        ProcessExit.now(run(List.of(args)));
    }

    static int run(List<String> args) {
        if (args.isEmpty() || args.getFirst().equals("-h") || args.getFirst().equals("--help")) {
            (args.isEmpty() ? System.err : System.out).println(USAGE);
            return args.isEmpty() ? 2 : 0;
        }
        List<String> rest = args.subList(1, args.size());
        try {
            return switch (args.getFirst()) {
                case "build" -> build(rest);
                case "debug" -> {
                    if (rest.isEmpty() || rest.getFirst().startsWith("-")) {
                        if (!rest.isEmpty()
                                && (rest.getFirst().equals("-h")
                                        || rest.getFirst().equals("--help"))) {
                            throw new HelpRequested("usage: kiln debug STEP [build options]\n"
                                    + "Builds, then opens a shell in the result of the step whose name contains STEP "
                                    + "(or whose digest starts with it).\n\n" + BuildFlags.help());
                        }
                        throw new UsageException(
                                "debug needs a STEP: text of a step's name as progress shows it, " + "or its digest");
                    }
                    List<String> buildArgs = rest.subList(1, rest.size());
                    Invocation invocation = Invocation.parse(buildArgs);
                    if (invocation.noDaemon()) {
                        yield BuildCommand.embedded(buildArgs, rest.getFirst());
                    }
                    yield new DaemonBuild(System.out, System.err, System.in)
                            .debugging(rest.getFirst())
                            .run(invocation);
                }
                case "frontend-image" -> new FrontendImageCommand(System.out, System.err).run(rest);
                case "du" -> new DiskUsageCommand(System.out, System.err).du(rest);
                case "prune" -> new DiskUsageCommand(System.out, System.err).prune(rest);
                case "daemon" -> dev.kiln.daemon.DaemonCommand.run(rest.toArray(String[]::new));
                case "version", "--version", "-v" -> {
                    System.out.println(Version.line());
                    yield 0;
                }
                default -> throw new UsageException("unknown command " + args.getFirst() + "\n" + USAGE);
            };
        } catch (HelpRequested help) {
            System.out.print(help.getMessage().endsWith("\n") ? help.getMessage() : help.getMessage() + "\n");
            return 0;
        } catch (UsageException e) {
            System.err.println("kiln: " + e.getMessage());
            return 2;
        } catch (InterruptedException e) {
            System.err.println("kiln: interrupted");
            return 130;
        } catch (io.grpc.StatusRuntimeException e) {
            // a daemon's answer: its description is the message (BuildKit's errors are written for users)
            String description = e.getStatus().getDescription();
            System.err.println("kiln: " + (description == null ? e.getStatus().getCode() : description));
            return 1;
        } catch (Exception e) {
            System.err.println("kiln: " + e.getMessage() + " (" + e.getClass().getSimpleName() + ")");
            if (System.getenv("KILN_DEBUG") != null) {
                e.printStackTrace();
            }
            return 1;
        }
    }

    /** {@code kiln build}: through the daemon, unless --no-daemon asks for this process. */
    private static int build(List<String> args) throws Exception {
        Invocation invocation = Invocation.parse(args);
        if (invocation.noDaemon()) {
            return BuildCommand.embedded(args, null);
        }
        return new DaemonBuild(System.out, System.err, System.in).run(invocation);
    }
}
