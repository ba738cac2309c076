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

/**
 * The packages apk has installed, from {@code /lib/apk/db/installed}: one block of "X:value" lines per package
 * ({@code P} name, {@code V} version, {@code A} architecture, {@code o} origin, {@code m} maintainer, {@code L}
 * license), blocks separated by a blank line.
 */
final class ApkDatabase {

    static final String INSTALLED = "lib/apk/db/installed";

    private ApkDatabase() {}

    static List<SbomPackage> read(Path root, OsRelease os) throws IOException {
        Path installed = root.resolve(INSTALLED);
        if (!Files.isRegularFile(installed, LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        return parse(Files.readString(installed, StandardCharsets.UTF_8), os);
    }

    static List<SbomPackage> parse(String text, OsRelease os) {
        List<SbomPackage> packages = new ArrayList<>();
        Map<Character, String> block = new LinkedHashMap<>();
        for (String line : (text + "\n\n").split("\n", -1)) {
            if (line.isBlank()) {
                if (block.containsKey('P')) {
                    packages.add(pkg(block, os));
                }
                block.clear();
            } else if (line.length() >= 2 && line.charAt(1) == ':') {
                // files (F, R, Z, a, M) repeat per file; only a package's own fields matter here
                block.putIfAbsent(line.charAt(0), line.substring(2));
            }
        }
        return packages;
    }

    private static SbomPackage pkg(Map<Character, String> block, OsRelease os) {
        String name = block.get('P');
        String version = block.getOrDefault('V', "");
        List<Map.Entry<String, String>> qualifiers = new ArrayList<>();
        qualifiers.add(Map.entry("arch", block.getOrDefault('A', "")));
        String origin = block.getOrDefault('o', "");
        if (!origin.isEmpty() && !origin.equals(name)) {
            qualifiers.add(Map.entry("upstream", origin));
        }
        qualifiers.add(Map.entry("distro", os.distro()));
        String maintainer = block.getOrDefault('m', "");
        return new SbomPackage(
                "apk",
                name,
                version,
                PackageUrl.of("apk", os.id().isEmpty() ? "alpine" : os.id(), name, version, qualifiers),
                List.of(),
                "/" + INSTALLED,
                maintainer.isEmpty() ? "" : "Person: " + maintainer,
                block.getOrDefault('L', ""),
                -1);
    }
}
