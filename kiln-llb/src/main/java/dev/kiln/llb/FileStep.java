package dev.kiln.llb;

import com.google.protobuf.ByteString;
import dev.kiln.core.GoPath;
import dev.kiln.llb.pb.FileActionCopy;
import dev.kiln.llb.pb.FileActionMkDir;
import dev.kiln.llb.pb.FileActionMkFile;
import dev.kiln.llb.pb.FileActionRm;
import dev.kiln.llb.pb.FileActionSymlink;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** One file action with its options resolved, ready to become a {@code pb.FileAction} body. */
sealed interface FileStep {

    /** Go's client writes -1 for "no timestamp override". */
    long NO_TIMESTAMP = -1;

    /**
     * Fills in the action body.
     *
     * @param parentDir the working directory of the state the actions apply to
     * @param base the op input of that state (-1 for scratch), where owner names are looked up
     */
    void writeTo(dev.kiln.llb.pb.FileAction.Builder action, String parentDir, long base);

    /**
     * BuildKit's {@code normalizePath}: a relative path is resolved against the state's working
     * directory; with {@code keepSlash} a trailing "/" or "/." (which change what copy does) survives.
     */
    private static String normalize(String parent, String path, boolean keepSlash) {
        String result = GoPath.clean(path);
        if (!GoPath.isAbs(result)) {
            result = GoPath.join("/", parent, result);
        }
        if (keepSlash) {
            if (path.endsWith("/") && !result.endsWith("/")) {
                result += "/";
            } else if (path.endsWith("/.")) {
                if (!result.equals("/")) {
                    result += "/";
                }
                result += ".";
            }
        }
        return result;
    }

    private static long timestamp(CreatedAt createdAt) {
        return createdAt == null ? NO_TIMESTAMP : createdAt.unixNanos();
    }

    record Mkdir(String path, int mode, boolean makeParents, Owner owner, CreatedAt createdAt) implements FileStep {
        @Override
        public void writeTo(dev.kiln.llb.pb.FileAction.Builder action, String parentDir, long base) {
            FileActionMkDir.Builder mkdir = FileActionMkDir.newBuilder()
                    .setPath(normalize(parentDir, path, false))
                    .setMode(mode & 0777)
                    .setMakeParents(makeParents)
                    .setTimestamp(timestamp(createdAt));
            if (owner != null) {
                mkdir.setOwner(owner.toProto(base));
            }
            action.setMkdir(mkdir);
        }
    }

    record Mkfile(String path, int mode, byte[] data, Owner owner, CreatedAt createdAt) implements FileStep {
        @Override
        public void writeTo(dev.kiln.llb.pb.FileAction.Builder action, String parentDir, long base) {
            FileActionMkFile.Builder mkfile = FileActionMkFile.newBuilder()
                    .setPath(normalize(parentDir, path, false))
                    .setMode(mode & 0777)
                    .setData(ByteString.copyFrom(data))
                    .setTimestamp(timestamp(createdAt));
            if (owner != null) {
                mkfile.setOwner(owner.toProto(base));
            }
            action.setMkfile(mkfile);
        }
    }

    record Rm(String path, boolean allowNotFound, boolean allowWildcard) implements FileStep {
        @Override
        public void writeTo(dev.kiln.llb.pb.FileAction.Builder action, String parentDir, long base) {
            action.setRm(FileActionRm.newBuilder()
                    .setPath(normalize(parentDir, path, false))
                    .setAllowNotFound(allowNotFound)
                    .setAllowWildcard(allowWildcard));
        }
    }

    /** Symlink paths go into the op as given: BuildKit's client does not normalise them. */
    record Symlink(String oldpath, String newpath, Owner owner, CreatedAt createdAt) implements FileStep {
        @Override
        public void writeTo(dev.kiln.llb.pb.FileAction.Builder action, String parentDir, long base) {
            FileActionSymlink.Builder symlink = FileActionSymlink.newBuilder()
                    .setOldpath(oldpath)
                    .setNewpath(newpath)
                    .setTimestamp(timestamp(createdAt));
            if (owner != null) {
                symlink.setOwner(owner.toProto(base));
            }
            action.setSymlink(symlink);
        }
    }

    record Copy(State source, String src, String dest, CopySettings settings) implements FileStep {
        @Override
        public void writeTo(dev.kiln.llb.pb.FileAction.Builder action, String parentDir, long base) {
            String cleanSrc = GoPath.clean(src);
            String sourceDir = GoPath.isAbs(cleanSrc) ? "/" : source.getDir();
            FileActionCopy.Builder copy = FileActionCopy.newBuilder()
                    .setSrc(GoPath.join(sourceDir, cleanSrc))
                    .setDest(normalize(parentDir, dest, true))
                    .addAllIncludePatterns(settings.include())
                    .addAllExcludePatterns(settings.exclude())
                    .addAllRequiredPaths(settings.requiredPaths())
                    .setAllowWildcard(settings.has(CopyOption.Flag.ALLOW_WILDCARD))
                    .setAllowEmptyWildcard(settings.has(CopyOption.Flag.ALLOW_EMPTY_WILDCARD))
                    .setFollowSymlink(settings.has(CopyOption.Flag.FOLLOW_SYMLINKS))
                    .setDirCopyContents(settings.has(CopyOption.Flag.DIR_CONTENTS_ONLY))
                    .setAttemptUnpackDockerCompatibility(settings.has(CopyOption.Flag.ATTEMPT_UNPACK))
                    .setCreateDestPath(settings.has(CopyOption.Flag.CREATE_DEST_PATH))
                    .setTimestamp(timestamp(settings.createdAt()))
                    .setAlwaysReplaceExistingDestPaths(
                            settings.has(CopyOption.Flag.ALWAYS_REPLACE_EXISTING_DEST_PATHS));
            if (settings.owner() != null) {
                copy.setOwner(settings.owner().toProto(base));
            }
            CopyOption.Mode mode = settings.mode();
            if (mode == null) {
                copy.setMode(-1);
            } else if (!mode.symbolic().isEmpty()) {
                copy.setModeStr(mode.symbolic());
            } else {
                copy.setMode(mode.bits());
            }
            action.setCopy(copy);
        }

        /**
         * Names the source by its own op only: the record's default would describe the source state, whose op
         * describes its own copies' sources in turn, as deep as the graph goes.
         */
        @Override
        public String toString() {
            String from = switch (source.isScratch() ? null : source.output().node()) {
                case null -> "scratch";
                case FileNode ignored -> "file op";
                case Node node -> node.toString();
            };
            return "Copy[source=" + from + ", src=" + src + ", dest=" + dest + ", settings=" + settings + "]";
        }
    }

    record CopySettings(
            Set<CopyOption.Flag> flags,
            List<String> include,
            List<String> exclude,
            List<String> requiredPaths,
            CopyOption.Mode mode,
            Owner owner,
            CreatedAt createdAt) {

        static CopySettings of(CopyOption... options) {
            Set<CopyOption.Flag> flags = EnumSet.noneOf(CopyOption.Flag.class);
            List<String> include = new ArrayList<>();
            List<String> exclude = new ArrayList<>();
            List<String> required = new ArrayList<>();
            CopyOption.Mode mode = null;
            Owner owner = null;
            CreatedAt createdAt = null;
            for (CopyOption option : options) {
                switch (option) {
                    case CopyOption.Flag flag -> flags.add(flag);
                    case CopyOption.Include i -> include.addAll(i.patterns());
                    case CopyOption.Exclude e -> exclude.addAll(e.patterns());
                    case CopyOption.RequiredPaths r -> required.addAll(r.paths());
                    case CopyOption.Mode m -> mode = m;
                    case Owner o -> owner = o;
                    case CreatedAt c -> createdAt = c;
                }
            }
            return new CopySettings(
                    Set.copyOf(flags),
                    List.copyOf(include),
                    List.copyOf(exclude),
                    List.copyOf(required),
                    mode,
                    owner,
                    createdAt);
        }

        boolean has(CopyOption.Flag flag) {
            return flags.contains(flag);
        }
    }
}
