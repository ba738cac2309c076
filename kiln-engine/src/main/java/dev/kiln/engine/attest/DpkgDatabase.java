package dev.kiln.engine.attest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The packages dpkg has installed: the stanzas of {@code /var/lib/dpkg/status} whose status is "install ok
 * installed", and those of {@code /var/lib/dpkg/status.d/} (one file per package, as distroless images keep them,
 * without dpkg itself).
 */
final class DpkgDatabase {

    static final String STATUS = "var/lib/dpkg/status";
    static final String STATUS_DIR = "var/lib/dpkg/status.d";

    private DpkgDatabase() {}

    /** The installed packages under {@code root}, in the database's order. */
    static List<SbomPackage> read(Path root, OsRelease os) throws IOException {
        List<SbomPackage> packages = new ArrayList<>();
        Path status = root.resolve(STATUS);
        if (Files.isRegularFile(status, LinkOption.NOFOLLOW_LINKS)) {
            packages.addAll(parse(Files.readString(status, StandardCharsets.UTF_8), "/" + STATUS, os));
        }
        Path dir = root.resolve(STATUS_DIR);
        if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            List<Path> files;
            try (Stream<Path> list = Files.list(dir)) {
                files = list.filter(file -> Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS))
                        .filter(file -> !file.getFileName().toString().endsWith(".md5sums"))
                        .sorted()
                        .toList();
            }
            for (Path file : files) {
                packages.addAll(parse(
                        Files.readString(file, StandardCharsets.UTF_8),
                        "/" + STATUS_DIR + "/" + file.getFileName(),
                        os));
            }
        }
        return packages;
    }

    /** The installed packages of one file of stanzas. */
    static List<SbomPackage> parse(String text, String location, OsRelease os) {
        List<SbomPackage> packages = new ArrayList<>();
        for (Map<String, String> stanza : stanzas(text)) {
            String name = stanza.getOrDefault("Package", "");
            String status = stanza.getOrDefault("Status", "install ok installed");
            if (name.isEmpty() || !status.endsWith(" installed")) {
                continue;
            }
            String version = stanza.getOrDefault("Version", "");
            String arch = stanza.getOrDefault("Architecture", "");
            String source = stanza.getOrDefault("Source", "");
            List<Map.Entry<String, String>> qualifiers = new ArrayList<>();
            qualifiers.add(Map.entry("arch", arch));
            if (!source.isEmpty()) {
                // "Source: name (version)" names the source package and, when it differs, its version
                String upstream = source.replace(" (", "@").replace(")", "");
                qualifiers.add(Map.entry("upstream", upstream));
            }
            qualifiers.add(Map.entry("distro", os.distro()));
            String maintainer = stanza.getOrDefault("Maintainer", "");
            packages.add(new SbomPackage(
                    "deb",
                    name,
                    version,
                    PackageUrl.of("deb", os.id().isEmpty() ? "debian" : os.id(), name, version, qualifiers),
                    List.of(),
                    location,
                    maintainer.isEmpty() ? "" : "Person: " + maintainer,
                    "",
                    -1));
        }
        return packages;
    }

    /** RFC 822-style stanzas: "Field: value" lines, continuation lines start with a space, a blank line ends one. */
    static List<Map<String, String>> stanzas(String text) {
        List<Map<String, String>> stanzas = new ArrayList<>();
        Map<String, String> current = new LinkedHashMap<>();
        String last = null;
        for (String line : text.split("\n", -1)) {
            if (line.isBlank()) {
                if (!current.isEmpty()) {
                    stanzas.add(current);
                    current = new LinkedHashMap<>();
                }
                last = null;
            } else if ((line.startsWith(" ") || line.startsWith("\t")) && last != null) {
                current.merge(last, "\n" + line.strip(), String::concat);
            } else {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    last = line.substring(0, colon);
                    current.put(last, line.substring(colon + 1).strip());
                }
            }
        }
        if (!current.isEmpty()) {
            stanzas.add(current);
        }
        return stanzas;
    }
}
