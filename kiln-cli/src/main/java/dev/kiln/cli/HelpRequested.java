package dev.kiln.cli;

/** The user asked for help: the message is the help text, printed on stdout, and the command succeeds. */
final class HelpRequested extends Exception {

    HelpRequested(String help) {
        super(help);
    }
}
