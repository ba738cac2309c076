package dev.kiln.llb;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A non-empty sequence of file actions; each method returns a longer sequence. */
public final class FileActions implements FileAction {

    static final FileActions EMPTY = new FileActions(List.of());

    private final List<FileStep> steps;

    private FileActions(List<FileStep> steps) {
        this.steps = steps;
    }

    public FileActions mkdir(String path, int mode, MkdirOption... options) {
        boolean makeParents = Arrays.stream(options).anyMatch(MkdirOption.MakeParents.class::isInstance);
        OwnerAndTime given = OwnerAndTime.of(options);
        return then(
                new FileStep.Mkdir(requirePath(path, "mkdir"), mode, makeParents, given.owner(), given.createdAt()));
    }

    public FileActions mkfile(String path, int mode, byte[] data, MkfileOption... options) {
        OwnerAndTime given = OwnerAndTime.of(options);
        return then(new FileStep.Mkfile(
                requirePath(path, "mkfile"),
                mode,
                data == null ? new byte[0] : data.clone(),
                given.owner(),
                given.createdAt()));
    }

    public FileActions rm(String path, RmOption... options) {
        boolean allowNotFound = false;
        boolean allowWildcard = false;
        for (RmOption option : options) {
            switch (option) {
                case RmOption.Flag.ALLOW_NOT_FOUND -> allowNotFound = true;
                case RmOption.Flag.ALLOW_WILDCARD -> allowWildcard = true;
            }
        }
        return then(new FileStep.Rm(requirePath(path, "rm"), allowNotFound, allowWildcard));
    }

    public FileActions copy(State source, String srcPath, String destPath, CopyOption... options) {
        if (source == null) {
            throw new IllegalArgumentException("copy needs a source state (State.scratch() for nothing)");
        }
        return then(new FileStep.Copy(
                source,
                requirePath(srcPath, "copy source"),
                requirePath(destPath, "copy destination"),
                FileStep.CopySettings.of(options)));
    }

    public FileActions symlink(String oldpath, String newpath, SymlinkOption... options) {
        OwnerAndTime given = OwnerAndTime.of(options);
        return then(new FileStep.Symlink(
                requirePath(oldpath, "symlink target"),
                requirePath(newpath, "symlink path"),
                given.owner(),
                given.createdAt()));
    }

    List<FileStep> steps() {
        return steps;
    }

    private FileActions then(FileStep step) {
        List<FileStep> longer = new ArrayList<>(steps.size() + 1);
        longer.addAll(steps);
        longer.add(step);
        return new FileActions(List.copyOf(longer));
    }

    /** The {@link Owner} and {@link CreatedAt} among a file action's options; a later one overrides an earlier. */
    private record OwnerAndTime(Owner owner, CreatedAt createdAt) {
        static OwnerAndTime of(Object... options) {
            Owner owner = null;
            CreatedAt createdAt = null;
            for (Object option : options) {
                switch (option) {
                    case Owner o -> owner = o;
                    case CreatedAt c -> createdAt = c;
                    default -> {}
                }
            }
            return new OwnerAndTime(owner, createdAt);
        }
    }

    private static String requirePath(String path, String what) {
        if (path == null || path.isEmpty()) {
            throw new IllegalArgumentException(what + " needs a path");
        }
        return path;
    }

    @Override
    public String toString() {
        return "FileActions" + steps;
    }
}
