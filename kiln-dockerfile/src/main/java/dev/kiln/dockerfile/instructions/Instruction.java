package dev.kiln.dockerfile.instructions;

import dev.kiln.dockerfile.shell.ShellException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One Dockerfile instruction with its arguments interpreted (flags checked, forms told apart) but not yet
 * expanded: variables are replaced by {@link #expand} when the instruction is converted, with the values in
 * scope at that point of its stage.
 */
public sealed interface Instruction {

    Origin origin();

    /** The instruction with its words expanded, for the instructions that expand; others return themselves. */
    default Instruction expand(Expander expander) throws ShellException {
        return this;
    }

    /**
     * Where an instruction came from.
     *
     * @param keyword the instruction word as written
     * @param code the instruction's text (continuations joined), as history and progress show it
     * @param startLine first line, 1-based
     * @param endLine last line
     * @param comments the comment lines right above it
     */
    record Origin(String keyword, String code, int startLine, int endLine, List<String> comments) {
        public Origin {
            Objects.requireNonNull(keyword, "keyword");
            comments = List.copyOf(comments);
        }
    }

    /** A "key=value" of ENV or LABEL; {@code noDelim} marks the legacy "key value" form. */
    record KeyValue(String key, String value, boolean noDelim) {
        public String text() {
            return key + "=" + value;
        }

        KeyValue expand(Expander expander) throws ShellException {
            return new KeyValue(expander.expand(key), expander.expand(value), noDelim);
        }

        static List<KeyValue> expandAll(List<KeyValue> pairs, Expander expander) throws ShellException {
            List<KeyValue> expanded = new ArrayList<>(pairs.size());
            for (KeyValue pair : pairs) {
                expanded.add(pair.expand(expander));
            }
            return expanded;
        }
    }

    /** An ARG definition; {@code value} is null when the ARG has no default. */
    record ArgDef(String key, String value) {
        public ArgDef {
            Objects.requireNonNull(key, "key");
        }
    }

    /** A heredoc used as a source of COPY or ADD. */
    record InlineSource(String path, String data, boolean expand) {}

    /** The sources (paths and heredocs) and the destination of COPY or ADD. */
    record SourcesAndDest(List<String> sourcePaths, List<InlineSource> sourceContents, String destPath) {
        public SourcesAndDest {
            sourcePaths = List.copyOf(sourcePaths);
            sourceContents = List.copyOf(sourceContents);
        }

        SourcesAndDest expand(Expander expander) throws ShellException {
            return new SourcesAndDest(expandAll(sourcePaths, expander), sourceContents, expander.expand(destPath));
        }

        /** Heredoc contents are expanded with quotes left alone, by a lexer of their own. */
        public SourcesAndDest expandContents(Expander raw) throws ShellException {
            List<InlineSource> expanded = new ArrayList<>();
            for (InlineSource content : sourceContents) {
                expanded.add(
                        content.expand()
                                ? new InlineSource(content.path(), raw.expand(content.data()), true)
                                : content);
            }
            return new SourcesAndDest(sourcePaths, expanded, destPath);
        }
    }

    /** A here-document given to RUN. */
    record InlineFile(String name, String data, boolean chomp) {}

    /**
     * The command of RUN, CMD or ENTRYPOINT.
     *
     * @param cmdLine exec form: the arguments; shell form: one string
     * @param prependShell shell form: the stage's shell runs {@code cmdLine}
     */
    record CommandForm(List<String> cmdLine, List<InlineFile> files, boolean prependShell) {
        public CommandForm {
            cmdLine = cmdLine == null ? null : List.copyOf(cmdLine);
            files = List.copyOf(files);
        }
    }

    /**
     * HEALTHCHECK's settings; durations in nanoseconds, 0 when not given.
     *
     * @param test ["NONE"], ["CMD", args...] or ["CMD-SHELL", command]
     */
    record HealthSpec(
            List<String> test, long interval, long timeout, long startPeriod, long startInterval, int retries) {
        public HealthSpec {
            test = List.copyOf(test);
        }
    }

    record Env(Origin origin, List<KeyValue> pairs) implements Instruction {
        @Override
        public Env expand(Expander expander) throws ShellException {
            return new Env(origin, KeyValue.expandAll(pairs, expander));
        }
    }

    record Maintainer(Origin origin, String maintainer) implements Instruction {}

    record Label(Origin origin, List<KeyValue> pairs) implements Instruction {
        @Override
        public Label expand(Expander expander) throws ShellException {
            return new Label(origin, KeyValue.expandAll(pairs, expander));
        }
    }

    /**
     * @param keepGitDir null when --keep-git-dir is not given
     * @param unpack null when --unpack is not given (local archives are unpacked, remote ones not)
     */
    record Add(
            Origin origin,
            SourcesAndDest files,
            String chown,
            String chmod,
            boolean link,
            Boolean keepGitDir,
            String checksum,
            Boolean unpack,
            List<String> excludes)
            implements Instruction {
        @Override
        public Add expand(Expander expander) throws ShellException {
            return new Add(
                    origin,
                    files.expand(expander),
                    expander.expand(chown),
                    expander.expand(chmod),
                    link,
                    keepGitDir,
                    expander.expand(checksum),
                    unpack,
                    excludes);
        }

        public Add withFiles(SourcesAndDest replaced) {
            return new Add(origin, replaced, chown, chmod, link, keepGitDir, checksum, unpack, excludes);
        }
    }

    record Copy(
            Origin origin,
            SourcesAndDest files,
            String from,
            String chown,
            String chmod,
            boolean link,
            boolean parents,
            List<String> excludes)
            implements Instruction {
        @Override
        public Copy expand(Expander expander) throws ShellException {
            return new Copy(
                    origin,
                    files.expand(expander),
                    from,
                    expander.expand(chown),
                    expander.expand(chmod),
                    link,
                    parents,
                    excludes);
        }

        public Copy withFiles(SourcesAndDest replaced) {
            return new Copy(origin, replaced, from, chown, chmod, link, parents, excludes);
        }
    }

    /** @param expression the trigger as written after ONBUILD, heredocs included */
    record Onbuild(Origin origin, String expression) implements Instruction {}

    record Workdir(Origin origin, String path) implements Instruction {
        @Override
        public Workdir expand(Expander expander) throws ShellException {
            return new Workdir(origin, expander.expand(path));
        }
    }

    /**
     * @param mountSpecs the {@code --mount} values as written; see {@link #mounts}
     * @param network default, none or host
     * @param security sandbox or insecure
     */
    record Run(Origin origin, CommandForm command, List<String> mountSpecs, String network, String security)
            implements Instruction {
        public Run {
            mountSpecs = List.copyOf(mountSpecs);
        }

        /** The mounts with their values expanded and checked. */
        public List<RunMount> mounts(Expander expander) throws InstructionException, ShellException {
            List<RunMount> mounts = new ArrayList<>();
            for (String spec : mountSpecs) {
                mounts.add(RunMount.parse(spec, expander));
            }
            return mounts;
        }

        /** The {@code from} of each mount, before expansion (variables are not allowed there). */
        public List<String> mountSources() {
            List<String> sources = new ArrayList<>();
            for (String spec : mountSpecs) {
                try {
                    sources.add(RunMount.parse(spec, null).from());
                } catch (InstructionException | ShellException e) {
                    sources.add("");
                }
            }
            return sources;
        }
    }

    record Cmd(Origin origin, CommandForm command) implements Instruction {}

    record Entrypoint(Origin origin, CommandForm command) implements Instruction {}

    record Healthcheck(Origin origin, HealthSpec health) implements Instruction {}

    /** @param ports as written (sorted); each is expanded into words when converted */
    record Expose(Origin origin, List<String> ports) implements Instruction {
        public Expose {
            ports = List.copyOf(ports);
        }
    }

    record User(Origin origin, String user) implements Instruction {
        @Override
        public User expand(Expander expander) throws ShellException {
            return new User(origin, expander.expand(user));
        }
    }

    record Volume(Origin origin, List<String> volumes) implements Instruction {
        public Volume {
            volumes = List.copyOf(volumes);
        }

        @Override
        public Volume expand(Expander expander) throws ShellException {
            return new Volume(origin, expandAll(volumes, expander));
        }
    }

    record StopSignal(Origin origin, String signal) implements Instruction {
        @Override
        public StopSignal expand(Expander expander) throws ShellException {
            return new StopSignal(origin, expander.expand(signal));
        }
    }

    /** ARG values are expanded by the converter, which decides between default, build arg and global value. */
    record Arg(Origin origin, List<ArgDef> args) implements Instruction {
        public Arg {
            args = List.copyOf(args);
        }
    }

    record Shell(Origin origin, List<String> shell) implements Instruction {
        public Shell {
            shell = List.copyOf(shell);
        }
    }

    /**
     * The start of a stage.
     *
     * @param baseName the image, stage or named context after FROM, unexpanded
     * @param stageName the name after AS, lower-cased; "" for none
     * @param platform the --platform value, unexpanded; "" for none
     * @param asWord the AS keyword as written ("" without a name), and {@code nameAsWritten} the name before
     *     lower-casing, for the casing checks
     */
    record From(Origin origin, String baseName, String stageName, String platform, String asWord, String nameAsWritten)
            implements Instruction {}

    private static List<String> expandAll(List<String> words, Expander expander) throws ShellException {
        List<String> out = new ArrayList<>(words.size());
        for (String word : words) {
            out.add(expander.expand(word));
        }
        return out;
    }
}
