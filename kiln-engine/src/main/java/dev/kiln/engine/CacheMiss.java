package dev.kiln.engine;

import java.util.Map;
import java.util.Objects;

/**
 * Why one step of a build ran instead of coming from the cache, compared with the last build of the same target on
 * this state ({@code kiln build --explain-cache}).
 *
 * @param vertexDigest the step's vertex digest, as progress names it
 * @param vertexName   the step's name, as progress shows it
 * @param reason       what kind of cause: one of the {@code REASON_*} constants
 * @param message      the cause for a person, the words after "ran because", e.g. {@code build argument VERSION
 *                     changed: "1" -> "2"}
 * @param details      the cause for a tool (rawjson progress): e.g. {@code name}, {@code old}, {@code new},
 *                     {@code path}, {@code more}; never a secret's value
 */
public record CacheMiss(
        String vertexDigest, String vertexName, String reason, String message, Map<String, String> details) {

    /** No earlier build of this target is recorded on this state. */
    public static final String REASON_NO_RECORD = "no-record";
    /** The last build of the target had no step that matches this one. */
    public static final String REASON_NEW_STEP = "new-step";
    /** The step's key is the one the last build recorded, but its cached result is gone. */
    public static final String REASON_PRUNED = "pruned";
    /** The step is marked to ignore the cache ({@code --no-cache}). */
    public static final String REASON_NO_CACHE = "no-cache";

    public static final String REASON_CONTEXT_FILE = "context-file";
    public static final String REASON_BUILD_ARG = "build-arg";
    public static final String REASON_ENV = "env";
    public static final String REASON_BASE_IMAGE = "base-image";
    public static final String REASON_COMMAND = "command";
    public static final String REASON_MOUNT = "mount";
    public static final String REASON_DEFINITION = "definition";
    /** An input's content or key changed, and no more precise cause is known. */
    public static final String REASON_INPUT = "input";

    public CacheMiss {
        Objects.requireNonNull(vertexDigest, "vertex digest");
        Objects.requireNonNull(vertexName, "vertex name");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(message, "message");
        details = Map.copyOf(details);
    }
}
