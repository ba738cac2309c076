package dev.kiln.llb;

import java.util.List;
import java.util.Objects;

/** An option of {@link FileAction#copy}, besides {@link Owner} and {@link CreatedAt}. */
public sealed interface CopyOption
        permits CopyOption.Flag,
                CopyOption.Include,
                CopyOption.Exclude,
                CopyOption.RequiredPaths,
                CopyOption.Mode,
                Owner,
                CreatedAt {

    /** Copies what a symlink source points to instead of the link. */
    static CopyOption followSymlinks() {
        return Flag.FOLLOW_SYMLINKS;
    }

    /** For a directory source, copies its contents rather than the directory itself. */
    static CopyOption dirContentsOnly() {
        return Flag.DIR_CONTENTS_ONLY;
    }

    /** Unpacks a source that is a tar archive (Dockerfile ADD behaviour). */
    static CopyOption attemptUnpack() {
        return Flag.ATTEMPT_UNPACK;
    }

    /** Creates the destination's missing parent directories. */
    static CopyOption createDestPath() {
        return Flag.CREATE_DEST_PATH;
    }

    /** Treats the source path as a pattern and copies every match. */
    static CopyOption allowWildcard() {
        return Flag.ALLOW_WILDCARD;
    }

    /** With {@link #allowWildcard()}, a pattern that matches nothing is not an error. */
    static CopyOption allowEmptyWildcard() {
        return Flag.ALLOW_EMPTY_WILDCARD;
    }

    /** Replaces a destination of another type (a file where the source has a directory) instead of failing. */
    static CopyOption alwaysReplaceExistingDestPaths() {
        return Flag.ALWAYS_REPLACE_EXISTING_DEST_PATHS;
    }

    /** Copies only paths matching one of these patterns. */
    static CopyOption include(String... patterns) {
        return new Include(List.of(patterns));
    }

    /** Leaves out paths matching any of these patterns. */
    static CopyOption exclude(String... patterns) {
        return new Exclude(List.of(patterns));
    }

    /** With include patterns: paths that must be part of the copy. */
    static CopyOption requiredPaths(String... paths) {
        return new RequiredPaths(List.of(paths));
    }

    /** Sets these permission bits on everything copied. */
    static CopyOption mode(int mode) {
        return new Mode(mode, "");
    }

    /** Changes permissions symbolically, as chmod does ("u+x", "go-w"). */
    static CopyOption mode(String symbolic) {
        if (symbolic == null || symbolic.isEmpty()) {
            throw new IllegalArgumentException("a symbolic mode must not be empty");
        }
        return new Mode(-1, symbolic);
    }

    enum Flag implements CopyOption {
        FOLLOW_SYMLINKS,
        DIR_CONTENTS_ONLY,
        ATTEMPT_UNPACK,
        CREATE_DEST_PATH,
        ALLOW_WILDCARD,
        ALLOW_EMPTY_WILDCARD,
        ALWAYS_REPLACE_EXISTING_DEST_PATHS
    }

    record Include(List<String> patterns) implements CopyOption {
        public Include {
            patterns = List.copyOf(patterns);
        }
    }

    record Exclude(List<String> patterns) implements CopyOption {
        public Exclude {
            patterns = List.copyOf(patterns);
        }
    }

    record RequiredPaths(List<String> paths) implements CopyOption {
        public RequiredPaths {
            paths = List.copyOf(paths);
        }
    }

    /** Either numeric {@code bits} or a {@code symbolic} mode. */
    record Mode(int bits, String symbolic) implements CopyOption {
        public Mode {
            Objects.requireNonNull(symbolic, "symbolic");
        }
    }
}
