package dev.kiln.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** What {@code kiln version} prints: Kiln's version (filled in by the build) and the Java runtime it runs on. */
final class Version {

    private Version() {}

    static String number() {
        Properties properties = new Properties();
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            return "unknown";
        }
        return properties.getProperty("version", "unknown");
    }

    static String line() {
        return "kiln " + number() + " (Java " + Runtime.version().feature() + ", " + System.getProperty("os.arch")
                + ")";
    }
}
