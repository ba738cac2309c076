package dev.kiln.cli;

import java.util.ArrayList;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.MissingArgumentException;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;
import org.apache.commons.cli.UnrecognizedOptionException;

/**
 * The flags of {@code kiln build}, read by commons-cli and grouped as docker build's help groups
 * them. Values stay as the user typed them here; {@link BuildCommand#parse} checks and converts
 * them, so every error names the flag at fault.
 *
 * <p>Why commons-cli and not picocli: picocli's jar is Java 5 bytecode, which a JDK AOT cache cannot
 * hold, so each start loaded and verified its ~180 classes again: a parse took 0.6 s instead of
 * 0.2 s on this machine (bench/README.md). commons-cli is Java 8 bytecode and enters the cache.
 */
final class BuildFlags {

    /** A heading of the help and the flags under it. */
    record Group(String heading, List<Option> options) {}

    static final List<Group> GROUPS = List.of(
            new Group(
                    "What to build",
                    List.of(
                            value("f", "file", "PATH", "the Dockerfile (default: CONTEXT/Dockerfile)"),
                            value(null, "target", "STAGE", "the stage to build"),
                            value(null, "build-arg", "KEY=VALUE", "a build argument"),
                            value(
                                    null,
                                    "build-context",
                                    "NAME=SOURCE",
                                    "a named context for FROM and COPY --from: a DIR, "
                                            + "docker-image://REF or oci-layout:///DIR@DIGEST"),
                            value(
                                    null,
                                    "platform",
                                    "PLATFORM",
                                    "the platforms to build for, os/arch[/variant], comma-separated (default: this machine's)"),
                            value(null, "label", "KEY=VALUE", "a label of the image"),
                            value(
                                    null,
                                    "call",
                                    "outline|targets|check[,format=json]",
                                    "ask the frontend instead of building: the target's build arguments, "
                                            + "secrets and SSH (outline), the stages (targets), the build checks' "
                                            + "warnings (check, exit status 1 with any)"),
                            flag(null, "check", "shorthand for --call=check"))),
            new Group(
                    "Attestations",
                    List.of(
                            value(
                                    null,
                                    "attest",
                                    "type=provenance|sbom[,...]",
                                    "store an attestation with the image: type=provenance[,mode=min|max] "
                                            + "(SLSA v1), type=sbom (SPDX 2.3 made by Kiln)"),
                            value(
                                    null,
                                    "provenance",
                                    "true|false|mode=min|max",
                                    "shorthand for --attest type=provenance (mode=min unless given)"),
                            value(null, "sbom", "true|false", "shorthand for --attest type=sbom"))),
            new Group(
                    "Cache and base images",
                    List.of(
                            flag(null, "no-cache", "run every step again, ignoring the cache"),
                            value(
                                    null,
                                    "no-cache-filter",
                                    "STAGE[,STAGE]",
                                    "run the steps of these stages again, ignoring " + "the cache"),
                            flag(null, "pull", "ask the registry for each base image even when one is stored here"),
                            flag(
                                    null,
                                    "explain-cache",
                                    "say why each step that ran missed the cache, compared with the "
                                            + "last build of the same target"))),
            new Group(
                    "Outputs",
                    List.of(
                            value(
                                    "o",
                                    "output",
                                    "SPEC",
                                    "where the result goes: type=local,dest=DIR | type=tar,dest=FILE|- "
                                            + "| type=image,name=REF[,push=true] | type=registry,name=REF | "
                                            + "type=oci,dest=FILE|-[,name=REF] | type=docker,dest=FILE|-[,name=REF]; image attributes: "
                                            + "compression=gzip|zstd|uncompressed, compression-level=N, force-compression=BOOL, "
                                            + "oci-mediatypes=BOOL, source-date-epoch=SECONDS, registry.insecure=BOOL, "
                                            + "annotation.KEY=VALUE"),
                            value(
                                    "t",
                                    "tag",
                                    "NAME",
                                    "name the image; without --output the image is kept here under its " + "names"),
                            flag(null, "push", "push the image to its names' registries"),
                            value(null, "annotation", "[manifest:]KEY=VALUE", "an annotation of the image's manifest"),
                            value(null, "iidfile", "FILE", "write the image ID (its config's digest) to FILE"),
                            value(null, "metadata-file", "FILE", "write the build's result facts as JSON"),
                            value(
                                    null,
                                    "cache-to",
                                    "SPEC",
                                    "export the build cache: type=local,dest=DIR[,mode=min|max]"
                                            + "[,compression=...][,ignore-error=BOOL]"),
                            value(null, "cache-from", "SPEC", "import a build cache: type=local,src=DIR[,tag=TAG]"),
                            value(null, "export-cache", "SPEC", "buildctl's name for --cache-to"),
                            value(null, "import-cache", "SPEC", "buildctl's name for --cache-from"),
                            flag("q", "quiet", "print nothing but the image ID on success"),
                            value(
                                    null,
                                    "progress",
                                    "MODE",
                                    "auto (tty on a terminal, else plain), tty, plain, rawjson or " + "quiet"))),
            new Group(
                    "RUN steps",
                    List.of(
                            value(
                                    null,
                                    "network",
                                    "MODE",
                                    "default, none or host (host grants network.host itself, as in " + "buildx)"),
                            value(null, "add-host", "HOST:IP", "a line of /etc/hosts in RUN steps"),
                            value(null, "shm-size", "SIZE", "the size of /dev/shm in RUN steps (e.g. 128m)"),
                            value(null, "ulimit", "NAME=SOFT[:HARD]", "a resource limit of RUN steps"),
                            value(
                                    null,
                                    "allow",
                                    "ENTITLEMENT",
                                    "let steps use network.host (RUN --network=host) or "
                                            + "security.insecure (RUN --security=insecure)"),
                            value(null, "secret", "id=ID,src=FILE|env=VAR", "a secret for RUN --mount=type=secret"),
                            value(
                                    null,
                                    "ssh",
                                    "ID[=SOCKET]",
                                    "an SSH agent for RUN --mount=type=ssh (default: " + "$SSH_AUTH_SOCK)"),
                            value(
                                    null,
                                    "on-error",
                                    "MODE",
                                    "fail (default), or shell: open a shell in a failed RUN step's " + "container"))),
            new Group(
                    "buildctl's form",
                    List.of(
                            value(
                                    null,
                                    "frontend",
                                    "NAME",
                                    "the frontend: dockerfile.v0, or java:CLASS for a BuildFunction " + "class"),
                            value(
                                    null,
                                    "frontend-classpath",
                                    "PATH[:PATH]",
                                    "jars or directories to load java: frontends " + "from"),
                            value(
                                    null,
                                    "definition",
                                    "FILE",
                                    "a marshalled LLB definition to build (- or none: read stdin)"),
                            value(null, "local", "NAME=DIR", "a local directory the build reads as local://NAME"),
                            value(null, "opt", "KEY=VALUE", "a frontend option"),
                            value(
                                    null,
                                    "oci-layout",
                                    "NAME=DIR",
                                    "an OCI image layout the build may read as " + "oci-layout://NAME@DIGEST"))),
            new Group(
                    "Engine and registries",
                    List.of(
                            value(
                                    null,
                                    "addr",
                                    "ADDRESS",
                                    "the daemon to build on, unix:///PATH or tcp://HOST:PORT (default: "
                                            + "$KILN_HOST, else the daemon of the state, started when none runs)"),
                            flag(
                                    null,
                                    "no-daemon",
                                    "build in this process with the embedded engine (also KILN_DAEMON=0)"),
                            value(
                                    null,
                                    "state",
                                    "DIR",
                                    "the engine's state directory (default: $KILN_STATE, /var/lib/kiln " + "for root)"),
                            value(
                                    null,
                                    "state-timeout",
                                    "DURATION",
                                    "how long to wait for another kiln using the state "
                                            + "(default: 30m; 0: fail at once)"),
                            value(null, "runtime", "NAME", "auto, runc, crun, or a path to an OCI runtime"),
                            value(
                                    null,
                                    "insecure-registry",
                                    "HOST",
                                    "pull from and push to HOST over plain HTTP (loopback " + "always is)"),
                            flag("h", "help", "print this help"))));

    private static final Options OPTIONS = options();
    private static final int WIDTH = 110;
    private static final int DESCRIPTION_COLUMN = 32;

    private BuildFlags() {}

    private static Option value(String shortName, String longName, String argument, String description) {
        return Option.builder(shortName)
                .longOpt(longName)
                .hasArg()
                .argName(argument)
                .desc(description)
                .get();
    }

    private static Option flag(String shortName, String longName, String description) {
        return Option.builder(shortName).longOpt(longName).desc(description).get();
    }

    private static Options options() {
        Options options = new Options();
        GROUPS.forEach(group -> group.options().forEach(options::addOption));
        return options;
    }

    /**
     * Reads the command line: options anywhere, each value flag repeatable, {@code --flag=value} or {@code --flag
     * value}. Long flags must be spelled out: a prefix would change meaning as flags are added.
     */
    static CommandLine parse(List<String> args) throws UsageException {
        try {
            return DefaultParser.builder()
                    .setAllowPartialMatching(false)
                    .get()
                    .parse(OPTIONS, args.toArray(String[]::new));
        } catch (UnrecognizedOptionException e) {
            throw new UsageException("unknown option " + e.getOption() + " (kiln build --help lists them)");
        } catch (MissingArgumentException e) {
            throw new UsageException("--" + e.getOption().getLongOpt() + " needs a value");
        } catch (ParseException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** The help of {@code kiln build}: usage, then each group's flags with their descriptions wrapped. */
    static String help() {
        StringBuilder text = new StringBuilder("""
                usage: kiln build [options] [CONTEXT]
                Builds a Dockerfile (docker build's form: kiln build [options] CONTEXT), a frontend (buildctl's form:
                --frontend NAME --local NAME=DIR --opt KEY=VALUE) or an LLB definition read from stdin or --definition,
                and exports the result. With no --output, every step is still built and the result stays in the cache.
                CONTEXT is a directory, or a git or http(s) URL the frontend fetches (a git URL may end in #REF:DIR).
                """);
        for (Group group : GROUPS) {
            text.append('\n').append(group.heading()).append(":\n");
            for (Option option : group.options()) {
                String names = (option.getOpt() == null ? "    " : "-" + option.getOpt() + ", ") + "--"
                        + option.getLongOpt() + (option.hasArg() ? " " + option.getArgName() : "");
                text.append(wrapped("  " + names, option.getDescription()));
            }
        }
        return text.append("\nExit status: 0 built, 1 the build failed, 2 the command line was wrong.\n")
                .toString();
    }

    private static String wrapped(String names, String description) {
        StringBuilder out = new StringBuilder(names);
        int column = names.length();
        if (column >= DESCRIPTION_COLUMN) {
            out.append('\n');
            column = 0;
        }
        out.append(" ".repeat(DESCRIPTION_COLUMN - column));
        column = DESCRIPTION_COLUMN;
        for (String word : description.split(" ")) {
            if (column + 1 + word.length() > WIDTH && column > DESCRIPTION_COLUMN) {
                out.append('\n').append(" ".repeat(DESCRIPTION_COLUMN));
                column = DESCRIPTION_COLUMN;
            } else if (column > DESCRIPTION_COLUMN) {
                out.append(' ');
                column++;
            }
            out.append(word);
            column += word.length();
        }
        return out.append('\n').toString();
    }

    /** Every value given for a repeatable flag, in order; none when it was not given. */
    static List<String> values(CommandLine line, String name) {
        String[] values = line.getOptionValues(name);
        return values == null ? List.of() : List.of(values);
    }

    /** Every value of a flag whose values may also be lists, split on {@code separator}. */
    static List<String> split(CommandLine line, String name, String separator) {
        List<String> parts = new ArrayList<>();
        for (String value : values(line, name)) {
            for (String part : value.split(java.util.regex.Pattern.quote(separator))) {
                if (!part.isBlank()) {
                    parts.add(part.strip());
                }
            }
        }
        return parts;
    }
}
