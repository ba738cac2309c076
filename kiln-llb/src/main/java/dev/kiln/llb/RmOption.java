package dev.kiln.llb;

/** An option of {@link FileAction#rm}. */
public sealed interface RmOption permits RmOption.Flag {

    /** Succeeds when the path does not exist. */
    static RmOption allowNotFound() {
        return Flag.ALLOW_NOT_FOUND;
    }

    /** Treats the path as a pattern ({@code *}, {@code ?}, {@code [...]}) and removes every match. */
    static RmOption allowWildcard() {
        return Flag.ALLOW_WILDCARD;
    }

    enum Flag implements RmOption {
        ALLOW_NOT_FOUND,
        ALLOW_WILDCARD
    }
}
