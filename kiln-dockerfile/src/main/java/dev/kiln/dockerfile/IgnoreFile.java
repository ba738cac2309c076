package dev.kiln.dockerfile;

import dev.kiln.core.GoPath;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A .dockerignore file as Docker reads it: one pattern per line, "#" comments, blank lines skipped, each
 * pattern cleaned and made relative to the context ("!" exceptions kept). The one reader of the format; the
 * worker's PathPatterns only matches the patterns it gives.
 */
final class IgnoreFile {

    private IgnoreFile() {}

    static List<String> patterns(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        List<String> patterns = new ArrayList<>();
        for (String line : text.split("\n", -1)) {
            if (line.startsWith("#")) {
                continue;
            }
            String pattern = line.strip();
            if (pattern.isEmpty()) {
                continue;
            }
            boolean exception = pattern.charAt(0) == '!';
            if (exception) {
                pattern = pattern.substring(1).strip();
            }
            if (!pattern.isEmpty()) {
                pattern = GoPath.clean(pattern);
                if (pattern.length() > 1 && pattern.charAt(0) == '/') {
                    pattern = pattern.substring(1);
                }
            }
            patterns.add(exception ? "!" + pattern : pattern);
        }
        return patterns;
    }
}
