package dev.kiln.worker.fs;

import java.io.IOException;

/**
 * A file action failed. Carries the action ("copy", "mkdir", ...) and the path as the user named it, relative to
 * the root the action works in, so that messages never show where a snapshot happens to be mounted on the host.
 */
public sealed class FsException extends IOException permits DanglingLinkException {

    private final String action;
    private final String path;
    private final String detail;

    public FsException(String action, String path, String detail) {
        this(action, path, detail, null);
    }

    public FsException(String action, String path, String detail, Throwable cause) {
        this(action + " " + path + ": " + detail, action, path, detail, cause);
    }

    /** For a subclass whose message reads differently from "action path: detail". */
    FsException(String message, String action, String path, String detail, Throwable cause) {
        super(message, cause);
        this.action = action;
        this.path = path;
        this.detail = detail;
    }

    /** The action that failed, e.g. "copy". */
    public String action() {
        return action;
    }

    /** The root-relative path the failure is about, e.g. "/a/b". */
    public String path() {
        return path;
    }

    /** What went wrong, without action and path. */
    public String detail() {
        return detail;
    }

    /** The same failure reported as part of another action, keeping path and detail. */
    public FsException during(String otherAction) {
        if (otherAction.equals(action)) {
            return this;
        }
        FsException relabelled = new FsException(otherAction, path, detail, getCause());
        relabelled.setStackTrace(getStackTrace());
        return relabelled;
    }
}
