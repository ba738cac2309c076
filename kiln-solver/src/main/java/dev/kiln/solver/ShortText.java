package dev.kiln.solver;

/**
 * Text a user wrote (a RUN command, a step's name) as error messages quote it: its beginning, and how much was left
 * out. A 5 MB command line is shown in full once, as the step's name in progress (BuildKit shows names as they
 * are); every message that repeats it quotes it short, so a failure reads in a few lines rather than megabytes.
 */
public final class ShortText {

    /** Characters kept of a quoted text: enough to recognise a command or a step's name. */
    public static final int KEPT = 200;

    private ShortText() {}

    /** {@code text} when it is short; else its first {@link #KEPT} characters and "… (N more characters)". */
    public static String of(String text) {
        return text == null ? null : of(text, text.length());
    }

    /**
     * The same for a text of which only the beginning was kept: {@code beginning} holds at least its first
     * {@link #KEPT} characters (or all of it), {@code length} is how long the whole was.
     */
    public static String of(String beginning, long length) {
        if (length <= KEPT + 40) {
            return beginning;
        }
        int end = KEPT;
        if (Character.isHighSurrogate(beginning.charAt(end - 1))) {
            end--;
        }
        return beginning.substring(0, end) + "… (" + (length - end) + " more characters)";
    }
}
