package dev.kiln.cli;

import dev.kiln.engine.BuildException;

import java.util.List;

/** The {@code kiln} command. Exit codes: 0 done, 1 the build failed, 2 the command line was wrong. */
public final class Main {

    private static final String USAGE = """
            usage: kiln COMMAND [options]
              build    build a definition, a Java frontend or a Dockerfile and export the result
              debug    debug STEP [build options]: build, then open a shell in the result of the step named STEP
              version  print Kiln's version
            Run 'kiln build --help' for its options; 'kiln --version' prints the version too.""";

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(List.of(args)));
    }

    static int run(List<String> args) {
        if (args.isEmpty() || args.getFirst().equals("-h") || args.getFirst().equals("--help")) {
            (args.isEmpty() ? System.err : System.out).println(USAGE);
            return args.isEmpty() ? 2 : 0;
        }
        List<String> rest = args.subList(1, args.size());
        try {
            return switch (args.getFirst()) {
                case "build" -> new BuildCommand(System.out, System.err, System.in).run(rest);
                case "debug" -> {
                    if (rest.isEmpty() || rest.getFirst().startsWith("-")) {
                        if (!rest.isEmpty() && (rest.getFirst().equals("-h") || rest.getFirst().equals("--help"))) {
                            throw new HelpRequested("usage: kiln debug STEP [build options]\n"
                                    + "Builds, then opens a shell in the result of the step whose name contains STEP "
                                    + "(or whose digest starts with it).\n\n" + BuildCommand.usage());
                        }
                        throw new UsageException("debug needs a STEP: text of a step's name as progress shows it, "
                                + "or its digest");
                    }
                    yield new BuildCommand(System.out, System.err, System.in).debug(rest.getFirst(),
                            rest.subList(1, rest.size()));
                }
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
        } catch (BuildException e) {
            System.err.println("kiln: build failed: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            System.err.println("kiln: interrupted");
            return 130;
        } catch (Exception e) {
            System.err.println("kiln: " + e.getMessage() + " (" + e.getClass().getSimpleName() + ")");
            if (System.getenv("KILN_DEBUG") != null) {
                e.printStackTrace();
            }
            return 1;
        }
    }
}
