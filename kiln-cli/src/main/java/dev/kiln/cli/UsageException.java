package dev.kiln.cli;

/** The command line is wrong; the message says how, in one line. */
final class UsageException extends Exception {

    UsageException(String message) {
        super(message);
    }
}
