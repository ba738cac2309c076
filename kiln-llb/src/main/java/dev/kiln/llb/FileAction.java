package dev.kiln.llb;

/**
 * File operations to apply to a state with {@link State#file}: one action, or several chained
 * ({@code FileAction.mkdir("/app", 0755).mkfile("/app/conf", 0644, data)}), applied in order as a
 * single op. Relative paths are taken from the working directory of the state the actions apply to.
 */
public sealed interface FileAction permits FileActions {

    static FileActions mkdir(String path, int mode, MkdirOption... options) {
        return FileActions.EMPTY.mkdir(path, mode, options);
    }

    static FileActions mkfile(String path, int mode, byte[] data, MkfileOption... options) {
        return FileActions.EMPTY.mkfile(path, mode, data, options);
    }

    static FileActions rm(String path, RmOption... options) {
        return FileActions.EMPTY.rm(path, options);
    }

    /** Copies {@code srcPath} of {@code source} (relative to its working directory) to {@code destPath}. */
    static FileActions copy(State source, String srcPath, String destPath, CopyOption... options) {
        return FileActions.EMPTY.copy(source, srcPath, destPath, options);
    }

    /** Creates a symlink at {@code newpath} pointing to {@code oldpath}. */
    static FileActions symlink(String oldpath, String newpath, SymlinkOption... options) {
        return FileActions.EMPTY.symlink(oldpath, newpath, options);
    }
}
