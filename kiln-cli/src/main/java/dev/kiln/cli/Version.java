package dev.kiln.cli;

import dev.kiln.core.KilnVersion;

/** What {@code kiln version} prints: Kiln's version (filled in by the build) and the Java runtime it runs on. */
final class Version {

    private Version() {}

    static String number() {
        return KilnVersion.of(Version.class);
    }

    static String line() {
        return "kiln " + number() + " (Java " + Runtime.version().feature() + ", " + System.getProperty("os.arch")
                + ")";
    }
}
