package dev.kiln.llb;

import java.util.ArrayList;
import java.util.List;

/** A non-empty sequence of file actions; each method returns a longer sequence. */
public final class FileActions implements FileAction {

    static final FileActions EMPTY = new FileActions(List.of());

    private final List<FileStep> steps;

    private FileActions(List<FileStep> steps) {
        this.steps = steps;
    }

    public FileActions mkdir(String path, int mode, MkdirOption... options) {
        boolean makeParents = false;
        Owner owner = null;
        CreatedAt createdAt = null;
        for (MkdirOption option : options) {
            switch (option) {
                case MkdirOption.MakeParents ignored -> makeParents = true;
                case Owner o -> owner = o;
                case CreatedAt c -> createdAt = c;
            }
        }
        return then(new FileStep.Mkdir(requirePath(path, "mkdir"), mode, makeParents, owner, createdAt));
    }

    public FileActions mkfile(String path, int mode, byte[] data, MkfileOption... options) {
        Owner owner = null;
        CreatedAt createdAt = null;
        for (MkfileOption option : options) {
            switch (option) {
                case Owner o -> owner = o;
                case CreatedAt c -> createdAt = c;
            }
        }
        return then(new FileStep.Mkfile(
                requirePath(path, "mkfile"), mode, data == null ? new byte[0] : data.clone(), owner, createdAt));
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
        Owner owner = null;
        CreatedAt createdAt = null;
        for (SymlinkOption option : options) {
            switch (option) {
                case Owner o -> owner = o;
                case CreatedAt c -> createdAt = c;
            }
        }
        return then(new FileStep.Symlink(
                requirePath(oldpath, "symlink target"), requirePath(newpath, "symlink path"), owner, createdAt));
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
