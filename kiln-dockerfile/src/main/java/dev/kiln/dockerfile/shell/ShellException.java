package dev.kiln.dockerfile.shell;

/** A word that cannot be expanded: an unclosed quote, a bad substitution, a ${var:?message} on an unset variable. */
public final class ShellException extends Exception {

    public ShellException(String message) {
        super(message);
    }
}
