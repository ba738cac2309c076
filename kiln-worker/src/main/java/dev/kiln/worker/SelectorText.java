package dev.kiln.worker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.kiln.worker.fs.ChecksumSelector;
import java.util.List;

/**
 * A {@link ChecksumSelector} as the solver carries it: the solver's content keys take plain
 * strings, which only this worker reads back. The whole selector travels, not just its path,
 * because whether a copy follows a symlink, expands wildcards or filters a directory decides
 * which files its result depends on.
 */
public final class SelectorText {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    private SelectorText() {}

    /** The fields in a fixed order, so that the same selector always gives the same text (it is part of memo keys). */
    private record Fields(
            String path, boolean followSymlink, boolean wildcard, List<String> include, List<String> exclude) {}

    public static String encode(ChecksumSelector selector) {
        try {
            return JSON.writeValueAsString(new Fields(
                    selector.path(),
                    selector.followSymlink(),
                    selector.wildcard(),
                    selector.includePatterns(),
                    selector.excludePatterns()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode checksum selector " + selector, e);
        }
    }

    /** @throws IllegalArgumentException if {@code text} was not made by {@link #encode} */
    public static ChecksumSelector decode(String text) {
        Fields fields;
        try {
            fields = JSON.readValue(text, Fields.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a content selector of this worker: " + text, e);
        }
        if (fields.path() == null) {
            throw new IllegalArgumentException("content selector without a path: " + text);
        }
        return new ChecksumSelector(
                fields.path(), fields.followSymlink(), fields.wildcard(), fields.include(), fields.exclude());
    }
}
