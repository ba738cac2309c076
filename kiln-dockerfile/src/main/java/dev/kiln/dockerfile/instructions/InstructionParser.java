package dev.kiln.dockerfile.instructions;

import dev.kiln.dockerfile.instructions.Instruction.ArgDef;
import dev.kiln.dockerfile.instructions.Instruction.CommandForm;
import dev.kiln.dockerfile.instructions.Instruction.InlineFile;
import dev.kiln.dockerfile.instructions.Instruction.InlineSource;
import dev.kiln.dockerfile.instructions.Instruction.KeyValue;
import dev.kiln.dockerfile.instructions.Instruction.Origin;
import dev.kiln.dockerfile.instructions.Instruction.SourcesAndDest;
import dev.kiln.dockerfile.parser.Heredoc;
import dev.kiln.dockerfile.parser.Heredocs;
import dev.kiln.dockerfile.parser.Node;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** Interprets a parsed {@link Node} as an {@link Instruction}: its flags, its form, its arguments. */
public final class InstructionParser {

    /** Every instruction keyword, in upper case, for "did you mean" hints. */
    public static final Set<String> KEYWORDS = Set.of(
            "ADD",
            "ARG",
            "CMD",
            "COPY",
            "ENTRYPOINT",
            "ENV",
            "EXPOSE",
            "FROM",
            "HEALTHCHECK",
            "LABEL",
            "MAINTAINER",
            "ONBUILD",
            "RUN",
            "SHELL",
            "STOPSIGNAL",
            "USER",
            "VOLUME",
            "WORKDIR");

    private static final Pattern STAGE_NAME = Pattern.compile("^[a-z][a-z0-9-_.]*$");
    private static final Pattern ONBUILD_PREFIX = Pattern.compile("(?i)^\\s*ONBUILD\\s*");
    private static final Set<String> NETWORKS = Set.of("default", "none", "host");
    private static final Set<String> SECURITY = Set.of("sandbox", "insecure");

    private InstructionParser() {}

    public static Instruction parse(Node node) throws InstructionException {
        Origin origin =
                new Origin(node.keyword(), node.original().strip(), node.startLine(), node.endLine(), node.comments());
        Flags flags = new Flags(node.flags());
        List<String> args = node.args();
        return switch (node.command()) {
            case "env" -> new Instruction.Env(origin, keyValues(args, "ENV", flags));
            case "maintainer" -> {
                requireExactlyOne(args, "MAINTAINER");
                flags.parse();
                yield new Instruction.Maintainer(origin, args.getFirst());
            }
            case "label" -> new Instruction.Label(origin, keyValues(args, "LABEL", flags));
            case "add" -> parseAdd(origin, node, flags);
            case "copy" -> parseCopy(origin, node, flags);
            case "from" -> parseFrom(origin, args, flags);
            case "onbuild" -> parseOnbuild(origin, node, flags);
            case "workdir" -> {
                requireExactlyOne(args, "WORKDIR");
                flags.parse();
                yield new Instruction.Workdir(origin, args.getFirst());
            }
            case "run" -> parseRun(origin, node, flags);
            case "cmd" -> {
                flags.parse();
                yield new Instruction.Cmd(origin, commandForm(node, false));
            }
            case "entrypoint" -> {
                flags.parse();
                yield new Instruction.Entrypoint(origin, commandForm(node, true));
            }
            case "healthcheck" -> new Instruction.Healthcheck(origin, Healthchecks.parse(node, flags));
            case "expose" -> {
                if (args.isEmpty()) {
                    throw atLeastOne("EXPOSE");
                }
                flags.parse();
                yield new Instruction.Expose(origin, args.stream().sorted().toList());
            }
            case "user" -> {
                requireExactlyOne(args, "USER");
                flags.parse();
                yield new Instruction.User(origin, args.getFirst());
            }
            case "volume" -> parseVolume(origin, args, flags);
            case "stopsignal" -> {
                requireExactlyOne(args, "STOPSIGNAL");
                yield new Instruction.StopSignal(origin, args.getFirst());
            }
            case "arg" -> parseArg(origin, args);
            case "shell" -> {
                flags.parse();
                List<String> shell = jsonArgs(node);
                if (shell.isEmpty()) {
                    throw atLeastOne("SHELL");
                }
                if (!node.json()) {
                    throw new InstructionException("SHELL requires the arguments to be in JSON form");
                }
                yield new Instruction.Shell(origin, shell);
            }
            default ->
                throw new InstructionException(
                        Suggestions.wrap("unknown instruction: " + node.keyword(), node.keyword(), KEYWORDS, false));
        };
    }

    private static List<KeyValue> keyValues(List<String> args, String command, Flags flags)
            throws InstructionException {
        flags.parse();
        if (args.isEmpty()) {
            throw atLeastOne(command);
        }
        if (args.size() % 3 != 0) {
            throw new InstructionException("Bad input to " + command + ", too many arguments");
        }
        List<KeyValue> pairs = new ArrayList<>();
        for (int i = 0; i < args.size(); i += 3) {
            if (args.get(i).isEmpty()) {
                throw new InstructionException(command + " names can not be blank");
            }
            pairs.add(new KeyValue(args.get(i), args.get(i + 1), args.get(i + 2).isEmpty()));
        }
        return pairs;
    }

    private static SourcesAndDest sourcesAndDest(Node node, String command) throws InstructionException {
        List<String> args = node.args();
        String dest = args.getLast();
        if (Heredocs.parseQuietly(dest).isPresent()) {
            throw new InstructionException(command + " cannot accept a heredoc as a destination");
        }
        Map<String, Heredoc> byName = new LinkedHashMap<>();
        for (Heredoc heredoc : node.heredocs()) {
            byName.put(heredoc.name(), heredoc);
        }
        List<String> paths = new ArrayList<>();
        List<InlineSource> contents = new ArrayList<>();
        for (String source : args.subList(0, args.size() - 1)) {
            Optional<Heredoc> heredoc = Heredocs.parseQuietly(source);
            if (heredoc.isPresent() && !node.json()) {
                Heredoc found = byName.get(heredoc.get().name());
                String content = found == null ? "" : found.content();
                if (heredoc.get().chomp()) {
                    content = Heredoc.chompContent(content);
                }
                contents.add(new InlineSource(
                        heredoc.get().name(), content, heredoc.get().expand()));
            } else {
                paths.add(source);
            }
        }
        return new SourcesAndDest(paths, contents, dest);
    }

    private static Instruction parseAdd(Origin origin, Node node, Flags flags) throws InstructionException {
        if (node.args().size() < 2) {
            throw noDestination("ADD");
        }
        flags.string("chown", "")
                .string("chmod", "")
                .bool("link")
                .bool("keep-git-dir")
                .string("checksum", "")
                .bool("unpack")
                .strings("exclude")
                .parse();
        return new Instruction.Add(
                origin,
                sourcesAndDest(node, "ADD"),
                flags.value("chown"),
                flags.value("chmod"),
                flags.isTrue("link"),
                flags.isUsed("keep-git-dir") ? flags.isTrue("keep-git-dir") : null,
                flags.value("checksum"),
                flags.isUsed("unpack") ? flags.isTrue("unpack") : null,
                flags.list("exclude"));
    }

    private static Instruction parseCopy(Origin origin, Node node, Flags flags) throws InstructionException {
        if (node.args().size() < 2) {
            throw noDestination("COPY");
        }
        flags.string("chown", "")
                .string("from", "")
                .string("chmod", "")
                .bool("link")
                .strings("exclude")
                .bool("parents")
                .parse();
        return new Instruction.Copy(
                origin,
                sourcesAndDest(node, "COPY"),
                flags.value("from"),
                flags.value("chown"),
                flags.value("chmod"),
                flags.isTrue("link"),
                flags.isTrue("parents"),
                flags.list("exclude"));
    }

    private static Instruction parseFrom(Origin origin, List<String> args, Flags flags) throws InstructionException {
        String stageName = "";
        String asWord = "";
        String written = "";
        if (args.size() == 3 && args.get(1).equalsIgnoreCase("as")) {
            asWord = args.get(1);
            written = args.get(2);
            stageName = args.get(2).toLowerCase(Locale.ROOT);
            if (!STAGE_NAME.matcher(stageName).matches()) {
                throw new InstructionException("invalid name for build stage: \"" + args.get(2)
                        + "\", name can't start with a number or contain symbols");
            }
        } else if (args.size() != 1) {
            throw new InstructionException("FROM requires either one or three arguments");
        }
        flags.string("platform", "").parse();
        return new Instruction.From(origin, args.getFirst(), stageName, flags.value("platform"), asWord, written);
    }

    private static Instruction parseOnbuild(Origin origin, Node node, Flags flags) throws InstructionException {
        if (node.args().isEmpty()) {
            throw atLeastOne("ONBUILD");
        }
        flags.parse();
        String trigger = node.args().getFirst().strip().toUpperCase(Locale.ROOT);
        switch (trigger) {
            case "ONBUILD" -> throw new InstructionException("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
            case "MAINTAINER", "FROM" ->
                throw new InstructionException(trigger + " isn't allowed as an ONBUILD trigger");
            default -> {}
        }
        StringBuilder expression =
                new StringBuilder(ONBUILD_PREFIX.matcher(node.original()).replaceAll(""));
        for (Heredoc heredoc : node.heredocs()) {
            expression.append('\n').append(heredoc.content()).append(heredoc.name());
        }
        return new Instruction.Onbuild(origin, expression.toString());
    }

    private static Instruction parseRun(Origin origin, Node node, Flags flags) throws InstructionException {
        flags.strings("mount")
                .string("network", "default")
                .string("security", "sandbox")
                .parse();
        List<String> mounts = flags.list("mount");
        for (String spec : mounts) {
            try {
                RunMount.parse(spec, null);
            } catch (dev.kiln.dockerfile.shell.ShellException e) {
                throw new InstructionException(e.getMessage());
            }
        }
        String network = flags.value("network");
        if (!NETWORKS.contains(network)) {
            throw new InstructionException("invalid network mode \"" + network + "\"");
        }
        String security = flags.value("security");
        if (!SECURITY.contains(security)) {
            throw new InstructionException("security \"" + security + "\" is not valid");
        }
        return new Instruction.Run(origin, commandForm(node, false), mounts, network, security);
    }

    private static Instruction parseVolume(Origin origin, List<String> args, Flags flags) throws InstructionException {
        if (args.isEmpty()) {
            throw atLeastOne("VOLUME");
        }
        flags.parse();
        List<String> volumes = new ArrayList<>();
        for (String volume : args) {
            String trimmed = volume.strip();
            if (trimmed.isEmpty()) {
                throw new InstructionException("VOLUME specified can not be an empty string");
            }
            volumes.add(trimmed);
        }
        return new Instruction.Volume(origin, volumes);
    }

    static Instruction.Arg parseArg(Origin origin, List<String> args) throws InstructionException {
        if (args.isEmpty()) {
            throw atLeastOne("ARG");
        }
        List<ArgDef> defs = new ArrayList<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 0) {
                defs.add(new ArgDef(arg, null));
                continue;
            }
            if (eq == 0) {
                throw new InstructionException("ARG names can not be blank");
            }
            defs.add(new ArgDef(arg.substring(0, eq), arg.substring(eq + 1)));
        }
        return new Instruction.Arg(origin, defs);
    }

    /** The command of RUN, CMD and ENTRYPOINT; the shell form's words are one string again. */
    static CommandForm commandForm(Node node, boolean emptyAsNull) {
        List<InlineFile> files = new ArrayList<>();
        for (Heredoc heredoc : node.heredocs()) {
            files.add(new InlineFile(heredoc.name(), heredoc.content(), heredoc.chomp()));
        }
        List<String> args = jsonArgs(node);
        if (emptyAsNull && args.isEmpty()) {
            args = null;
        }
        return new CommandForm(args, files, !node.json());
    }

    static List<String> jsonArgs(Node node) {
        return jsonArgs(node.args(), node.json());
    }

    static List<String> jsonArgs(List<String> args, boolean json) {
        if (args.isEmpty()) {
            return List.of();
        }
        return json ? args : List.of(String.join(" ", args));
    }

    static void requireExactlyOne(List<String> args, String command) throws InstructionException {
        if (args.size() != 1) {
            throw new InstructionException(command + " requires exactly one argument");
        }
    }

    static InstructionException atLeastOne(String command) {
        return new InstructionException(command + " requires at least one argument");
    }

    private static InstructionException noDestination(String command) {
        return new InstructionException(command + " requires at least two arguments, but only one was provided. "
                + "Destination could not be determined");
    }
}
