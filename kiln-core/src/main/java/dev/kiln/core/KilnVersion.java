package dev.kiln.core;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * Kiln's version as the build writes it into a module's {@code version.properties} (resource filtering), read
 * beside the class that asks: the command line and the daemon each carry the file.
 */
public final class KilnVersion {

    private KilnVersion() {}

    /** The {@code version} of the {@code version.properties} in {@code owner}'s package; "unknown" without one. */
    public static String of(Class<?> owner) {
        Properties properties = new Properties();
        try (InputStream in = owner.getResourceAsStream("version.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            return "unknown";
        }
        return properties.getProperty("version", "unknown");
    }
}
