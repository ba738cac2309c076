package dev.kiln.dockerfile.shell;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * An expanded word.
 *
 * @param result the word with quotes removed and variables replaced
 * @param words the same split into words at unquoted whitespace
 * @param matched variables the word used that were defined
 * @param unmatched variables the word used that were not defined (lint material)
 */
public record WordResult(String result, List<String> words, Set<String> matched, Set<String> unmatched) {

    public WordResult {
        words = List.copyOf(words);
        matched = Collections.unmodifiableSet(new LinkedHashSet<>(matched));
        unmatched = Collections.unmodifiableSet(new LinkedHashSet<>(unmatched));
    }
}
