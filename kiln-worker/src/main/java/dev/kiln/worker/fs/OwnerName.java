package dev.kiln.worker.fs;

/**
 * An owner given as in {@code COPY --chown=user:group}: each part a name or a decimal id; {@code group} is null
 * when only a user was given (its primary group then applies).
 */
public record OwnerName(String user, String group) implements OwnerRef {

    public OwnerName {
        if (user == null || user.isBlank()) {
            throw new IllegalArgumentException("owner needs a user name or id");
        }
    }
}
