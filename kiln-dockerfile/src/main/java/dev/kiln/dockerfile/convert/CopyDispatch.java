package dev.kiln.dockerfile.convert;

import dev.kiln.core.Digest;
import dev.kiln.core.GoPath;
import dev.kiln.core.Platform;
import dev.kiln.dockerfile.instructions.Instruction;
import dev.kiln.dockerfile.instructions.InstructionException;
import dev.kiln.dockerfile.shell.EnvLookup;
import dev.kiln.llb.CopyOption;
import dev.kiln.llb.FileAction;
import dev.kiln.llb.FileActions;
import dev.kiln.llb.HttpOption;
import dev.kiln.llb.OpOption;
import dev.kiln.llb.Owner;
import dev.kiln.llb.State;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * COPY and ADD: every source (local paths with wildcards, heredocs, and for ADD http(s) URLs and git
 * repositories) copied to the destination in one file op, or with --link as a layer of its own merged on top.
 */
record CopyDispatch(DispatchContext ctx, StageState d) {

    /** What differs between COPY and ADD. */
    private record Config(
            Instruction.Origin origin,
            Instruction.SourcesAndDest files,
            List<String> excludes,
            State source,
            boolean isAdd,
            String chown,
            String chmod,
            boolean link,
            Boolean keepGitDir,
            String checksum,
            boolean parents,
            Boolean unpack) {}

    void add(Instruction.Add add) throws InstructionException {
        copy(new Config(
                add.origin(),
                add.files(),
                add.excludes(),
                ctx.buildContext,
                true,
                add.chown(),
                add.chmod(),
                add.link(),
                add.keepGitDir(),
                add.checksum(),
                false,
                add.unpack()));
        for (String src : add.files().sourcePaths()) {
            if (!src.startsWith("http://") && !src.startsWith("https://")) {
                d.ctxPaths.add(GoPath.join("/", src));
            }
        }
    }

    void copy(Instruction.Copy copy, List<StageState> sources) throws InstructionException {
        State source = ctx.buildContext;
        StageState from = sources.isEmpty() ? null : sources.getFirst();
        if (from != null) {
            if (!from.dispatched) {
                throw new InstructionException("cannot copy from stage \"" + copy.from() + "\", it needs to be defined "
                        + "before current stage \"" + d.stageName + "\"");
            }
            source = from.state;
        }
        copy(new Config(
                copy.origin(),
                copy.files(),
                copy.excludes(),
                source,
                false,
                copy.chown(),
                copy.chmod(),
                copy.link(),
                null,
                "",
                copy.parents(),
                null));
        for (String src : copy.files().sourcePaths()) {
            (from == null ? d.ctxPaths : from.paths).add(GoPath.join("/", src));
        }
    }

    private void copy(Config cfg) throws InstructionException {
        String dest = relativeToWorkingDir(cfg.files().destPath());
        List<CopyOption> common = new ArrayList<>();
        if (!cfg.chown().isEmpty()) {
            common.add(Owner.parse(cfg.chown()));
        }
        if (!cfg.excludes().isEmpty()) {
            common.add(CopyOption.exclude(cfg.excludes().toArray(String[]::new)));
        }
        CopyOption mode = cfg.chmod().isEmpty() ? null : Chmod.parse(cfg.chmod());
        if (!cfg.checksum().isEmpty()) {
            if (cfg.files().sourcePaths().size() != 1) {
                throw new InstructionException("checksum can't be specified for multiple sources");
            }
            String only = cfg.files().sourcePaths().getFirst();
            if (!isHttp(only) && !isGit(only)) {
                throw new InstructionException("checksum requires HTTP(S) or Git sources");
            }
        }
        StringBuilder history = new StringBuilder(cfg.isAdd() ? "ADD" : "COPY");
        if (cfg.parents()) {
            history.append(" --parents");
        }
        if (!cfg.chown().isEmpty()) {
            history.append(" --chown=").append(cfg.chown());
        }
        if (!cfg.chmod().isEmpty()) {
            history.append(" --chmod=").append(cfg.chmod());
        }
        Platform platform = d.platform != null ? d.platform : ctx.targetPlatform;
        EnvLookup env = DispatchContext.env(d.state);
        String name = DispatchContext.uppercaseCmd(
                DispatchContext.processCmdEnv(ctx.shlex, cfg.origin().code(), env));
        String progressName = ctx.prefixCommand(d, name, platform, env);

        FileActions actions = null;
        for (String src : cfg.files().sourcePaths()) {
            history.append(' ').append(src);
            Optional<GitRef> git = GitRef.parse(src);
            if (git.isPresent()) {
                if (!cfg.isAdd()) {
                    throw new InstructionException("source can't be a git ref for COPY");
                }
                State repo = gitSource(git.get(), cfg, progressName);
                actions = then(actions, repo, "/", dest, with(common, mode, CopyOption.createDestPath()));
            } else if (isHttp(src)) {
                if (!cfg.isAdd()) {
                    throw new InstructionException("source can't be a URL for COPY");
                }
                String filename = urlFilename(src);
                List<HttpOption> options = new ArrayList<>();
                options.add(HttpOption.filename(filename));
                options.add(OpOption.customName(progressName));
                if (!cfg.checksum().isEmpty()) {
                    try {
                        options.add(HttpOption.checksum(Digest.parse(cfg.checksum())));
                    } catch (IllegalArgumentException e) {
                        throw new InstructionException(e.getMessage());
                    }
                }
                State download = State.http(src, options.toArray(HttpOption[]::new));
                List<CopyOption> opts = with(common, mode, CopyOption.createDestPath());
                if (Boolean.TRUE.equals(cfg.unpack())) {
                    opts.add(CopyOption.attemptUnpack());
                }
                actions = then(actions, download, filename, dest, opts);
            } else {
                actions = local(actions, src, dest, cfg, common, mode);
            }
        }
        for (Instruction.InlineSource content : cfg.files().sourceContents()) {
            history.append(" <<").append(content.path());
            State document = State.scratch()
                    .file(
                            FileAction.mkfile(
                                    content.path(), 0644, content.data().getBytes(StandardCharsets.UTF_8)),
                            OpOption.customName("[internal] preparing inline document"),
                            OpOption.platform(platform));
            actions = then(actions, document, content.path(), dest, with(common, mode, CopyOption.createDestPath()));
        }
        history.append(' ').append(cfg.files().destPath());
        if (actions == null) {
            throw new InstructionException((cfg.isAdd() ? "ADD" : "COPY") + " has no source");
        }

        List<OpOption> fileOptions = new ArrayList<>();
        fileOptions.add(OpOption.customName(progressName));
        fileOptions.add(ctx.location(cfg.origin()));
        if (d.ignoreCache) {
            fileOptions.add(OpOption.ignoreCache());
        }
        if (cfg.link() && cfg.chmod().isEmpty() && ctx.options.llbCaps().contains("mergeop") && !d.state.isScratch()) {
            // --link: the files become a layer of their own, independent of what is below, merged on top
            String group = "link-" + d.stageName + "-" + cfg.origin().startLine();
            d.cmdIndex--;
            String groupName = ctx.prefixCommand(d, name, platform, env);
            List<OpOption> copyOptions = new ArrayList<>(fileOptions);
            copyOptions.add(OpOption.platform(platform));
            copyOptions.add(OpOption.progressGroup(group, groupName, true));
            State layer = State.scratch().file(actions, copyOptions.toArray(OpOption[]::new));
            d.cmdIndex--;
            List<OpOption> mergeOptions = new ArrayList<>(fileOptions);
            mergeOptions.add(OpOption.progressGroup(group, groupName, false));
            mergeOptions.add(OpOption.customName(ctx.prefixCommand(d, "LINK " + name, platform, env)));
            d.state = State.merge(List.of(d.state, layer), mergeOptions.toArray(OpOption[]::new));
        } else {
            d.state = d.state.file(actions, fileOptions.toArray(OpOption[]::new));
        }
        d.commit(history + " # buildkit", true);
    }

    /** A local source: a path (wildcards allowed) of the build context or of the --from stage. */
    private FileActions local(
            FileActions actions, String src, String dest, Config cfg, List<CopyOption> common, CopyOption mode) {
        List<CopyOption> opts = with(
                common,
                mode,
                CopyOption.followSymlinks(),
                CopyOption.dirContentsOnly(),
                CopyOption.createDestPath(),
                CopyOption.allowWildcard(),
                CopyOption.allowEmptyWildcard());
        String source = src;
        if (cfg.parents()) {
            // COPY --parents a/./b/c keeps "b/c" below the destination; without "/./" the whole path is kept
            String pattern;
            int pivot = src.indexOf("/./");
            if (pivot < 0) {
                pattern = src;
                source = "/";
            } else {
                pattern = src.substring(pivot + 3);
                source = src.substring(0, pivot);
            }
            pattern = UnixPaths.normalize("/", pattern, false);
            opts.add(CopyOption.include(pattern.substring(1)));
            if (!hasWildcards(source) && !hasWildcards(pattern)) {
                opts.add(CopyOption.requiredPaths(UnixPaths.normalize("/", GoPath.join(source, pattern), false)));
            }
        }
        source = UnixPaths.normalize("/", source, false);
        boolean unpack = cfg.unpack() != null ? cfg.unpack() : cfg.isAdd();
        if (unpack) {
            opts.add(CopyOption.attemptUnpack());
        }
        return then(actions, cfg.source(), source, dest, opts);
    }

    private State gitSource(GitRef git, Config cfg, String progressName) throws InstructionException {
        Boolean keep = cfg.keepGitDir();
        if (keep != null && git.keepGitDir() != null && !keep.equals(git.keepGitDir())) {
            throw new InstructionException("inconsistent keep-git-dir configuration");
        }
        if (git.keepGitDir() != null) {
            keep = git.keepGitDir();
        }
        String checksum = cfg.checksum();
        if (!checksum.isEmpty() && !git.checksum().isEmpty() && !checksum.equals(git.checksum())) {
            throw new InstructionException("checksum mismatch \"" + checksum + "\" != \"" + git.checksum() + "\"");
        }
        if (!git.checksum().isEmpty()) {
            checksum = git.checksum();
        }
        try {
            return git.with(keep, checksum).source(progressName);
        } catch (IllegalArgumentException e) {
            throw new InstructionException(e.getMessage());
        }
    }

    private static FileActions then(FileActions actions, State source, String src, String dest, List<CopyOption> opts) {
        CopyOption[] array = opts.toArray(CopyOption[]::new);
        return actions == null ? FileAction.copy(source, src, dest, array) : actions.copy(source, src, dest, array);
    }

    private static List<CopyOption> with(List<CopyOption> common, CopyOption mode, CopyOption... flags) {
        List<CopyOption> out = new ArrayList<>();
        if (mode != null) {
            out.add(mode);
        }
        out.addAll(List.of(flags));
        out.addAll(common);
        return out;
    }

    /** A destination as COPY reads it: relative to WORKDIR; a trailing "/" (or "." alone) means a directory. */
    private String relativeToWorkingDir(String path) {
        if (GoPath.isAbs(path)) {
            return UnixPaths.normalize("/", path, true);
        }
        String p = path.equals(".") || path.isEmpty() ? "./" : path;
        return UnixPaths.normalize(d.state.getDir(), p, true);
    }

    private static boolean isHttp(String src) {
        if (!src.startsWith("http://") && !src.startsWith("https://")) {
            return false;
        }
        return !isGit(src);
    }

    private static boolean isGit(String src) {
        try {
            return GitRef.parse(src).isPresent();
        } catch (InstructionException e) {
            return true;
        }
    }

    /** The file name ADD gives a download: the last path element of the URL, or "__unnamed__". */
    private static String urlFilename(String url) {
        try {
            String path = new URI(url).getPath();
            if (path != null) {
                String base = GoPath.base(path);
                if (!base.equals(".") && !base.equals("/")) {
                    return base;
                }
            }
        } catch (URISyntaxException e) {
            // an URL Java cannot parse still downloads; it just gets the default name
        }
        return "__unnamed__";
    }

    private static boolean hasWildcards(String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '*' || c == '?' || c == '[') {
                return true;
            }
            if (c == '\\') {
                i++;
            }
        }
        return false;
    }
}
