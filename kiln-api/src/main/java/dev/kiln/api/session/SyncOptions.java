package dev.kiln.api.session;

import io.grpc.Metadata;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The call metadata of FileSync.DiffCopy (BuildKit's filesync.go): "dir-name", "include-patterns",
 * "exclude-patterns" and "followpaths", each multi-valued. Header values must be ASCII, so when any value of a
 * key is not, all of its values are URL query-escaped and "KEY-encoded: 1" says so.
 */
record SyncOptions(String dirName, FileFilter filter) {

    static final String DIR_NAME = "dir-name";
    static final String INCLUDE = "include-patterns";
    static final String EXCLUDE = "exclude-patterns";
    static final String FOLLOW = "followpaths";

    Metadata encode() {
        Metadata md = new Metadata();
        put(md, DIR_NAME, List.of(dirName));
        put(md, INCLUDE, filter.includePatterns());
        put(md, EXCLUDE, filter.excludePatterns());
        put(md, FOLLOW, filter.followPaths());
        return md;
    }

    static SyncOptions decode(Metadata md) {
        List<String> names = get(md, DIR_NAME);
        return new SyncOptions(
                names.isEmpty() ? "" : names.getFirst(),
                new FileFilter(get(md, INCLUDE), get(md, EXCLUDE), get(md, FOLLOW)));
    }

    private static void put(Metadata md, String key, List<String> values) {
        if (values.isEmpty()) {
            return;
        }
        boolean encode = values.stream().anyMatch(v -> v.chars().anyMatch(c -> c > 0x7e || c < 0x20));
        Metadata.Key<String> k = key(key);
        for (String v : values) {
            md.put(k, encode ? URLEncoder.encode(v, StandardCharsets.UTF_8) : v);
        }
        if (encode) {
            md.put(key(key + "-encoded"), "1");
        }
    }

    private static List<String> get(Metadata md, String key) {
        Iterable<String> values = md.getAll(key(key));
        if (values == null) {
            return List.of();
        }
        String flag = md.get(key(key + "-encoded"));
        boolean encoded =
                flag != null && (flag.equals("1") || flag.equalsIgnoreCase("true") || flag.equalsIgnoreCase("t"));
        List<String> out = new ArrayList<>();
        for (String v : values) {
            out.add(encoded ? URLDecoder.decode(v, StandardCharsets.UTF_8) : v);
        }
        return out;
    }

    static Metadata.Key<String> key(String name) {
        return Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
    }
}
