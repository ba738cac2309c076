package dev.kiln.engine.attest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * The distribution an image is made from, by {@code /etc/os-release} (or {@code /usr/lib/os-release}): its
 * {@code ID} and {@code VERSION_ID}, which package URLs of its packages carry ({@code distro=debian-12}).
 */
record OsRelease(String id, String versionId) {

    static final OsRelease UNKNOWN = new OsRelease("", "");

    static OsRelease read(Path root) throws IOException {
        for (String candidate : new String[] {"etc/os-release", "usr/lib/os-release"}) {
            Path file = root.resolve(candidate);
            if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                return parse(Files.readString(file, StandardCharsets.UTF_8));
            }
        }
        return UNKNOWN;
    }

    static OsRelease parse(String text) {
        String id = "";
        String version = "";
        for (String line : text.split("\n")) {
            int equals = line.indexOf('=');
            if (equals < 0) {
                continue;
            }
            String value = line.substring(equals + 1).strip();
            if (value.length() >= 2 && (value.startsWith("\"") || value.startsWith("'"))) {
                value = value.substring(1, value.length() - 1);
            }
            switch (line.substring(0, equals).strip()) {
                case "ID" -> id = value;
                case "VERSION_ID" -> version = value;
                default -> {}
            }
        }
        return new OsRelease(id, version);
    }

    /** The {@code distro} qualifier: {@code ID-VERSION_ID}, or "" when unknown. */
    String distro() {
        if (id.isEmpty()) {
            return "";
        }
        return versionId.isEmpty() ? id : id + "-" + versionId;
    }
}
