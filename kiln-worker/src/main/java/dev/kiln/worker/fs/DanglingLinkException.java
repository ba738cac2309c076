package dev.kiln.worker.fs;

/**
 * A path that leads through a symlink to nothing: the link exists, what it points to (resolved inside its root,
 * as every path of a build is) does not. Kept apart from "no such file" because the fix differs: the user sees
 * the link and its target, e.g. a context's {@code link -> /etc/shadow}, which means the context's /etc/shadow
 * and never the host's.
 */
public final class DanglingLinkException extends FsException {

  private static final String DETAIL = "the link's target does not exist (a link resolves inside the context, "
      + "image or mount it is in, never on the host)";

  private final String link;
  private final String target;

  public DanglingLinkException(String action, String link, String target) {
    super(action + " " + link + " -> " + target + ": " + DETAIL, action, link, DETAIL, null);
    this.link = link;
    this.target = target;
  }

  /** The root-relative path of the link whose target is missing. */
  public String link() {
    return link;
  }

  /** The link's target as stored in the link. */
  public String target() {
    return target;
  }

  @Override
  public FsException during(String otherAction) {
    if (otherAction.equals(action())) {
      return this;
    }
    DanglingLinkException relabelled = new DanglingLinkException(otherAction, link, target);
    relabelled.setStackTrace(getStackTrace());
    return relabelled;
  }
}
