package dev.kiln.worker.fs;

/**
 * A path that leads through a symlink to nothing: the link exists, what it points to (resolved inside its root,
 * as every path of a build is) does not. Kept apart from "no such file" because the fix differs: the user sees
 * the link and its target, e.g. a context's {@code link -> /etc/shadow}, which means the context's /etc/shadow
 * and never the host's.
 */
public final class DanglingLinkException extends FsException {

    private final String link;
    private final String target;
    private final String resolved;

    /**
     * {@code link} is the link's root-relative path, {@code target} what it holds, {@code resolved} where that
     * leads inside the root (the same as an absolute target; "../../etc" from a link in the root leads to /etc).
     */
    public DanglingLinkException(String action, String link, String target, String resolved) {
        super(action + " " + link + " -> " + target + ": " + detail(resolved), action, link, detail(resolved), null);
        this.link = link;
        this.target = target;
        this.resolved = resolved;
    }

    private static String detail(String resolved) {
        return "the link's target " + resolved + " does not exist (a link resolves inside the context, image or mount "
                + "it is in, never on the host)";
    }

    /** The root-relative path of the link whose target is missing. */
    public String link() {
        return link;
    }

    /** The link's target as stored in the link. */
    public String target() {
        return target;
    }

    /** Where the target leads inside the root. */
    public String resolved() {
        return resolved;
    }

    @Override
    public FsException during(String otherAction) {
        if (otherAction.equals(action())) {
            return this;
        }
        DanglingLinkException relabelled = new DanglingLinkException(otherAction, link, target, resolved);
        relabelled.setStackTrace(getStackTrace());
        return relabelled;
    }
}
