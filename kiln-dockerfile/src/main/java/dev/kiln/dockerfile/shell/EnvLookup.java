package dev.kiln.dockerfile.shell;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The variables a word is expanded against, in the order they were defined. */
public interface EnvLookup {

    EnvLookup EMPTY = of(Map.of());

    Optional<String> get(String name);

    List<String> keys();

    /** A lookup on a map; its iteration order is the key order. */
    static EnvLookup of(Map<String, String> env) {
        return new EnvLookup() {
            @Override
            public Optional<String> get(String name) {
                return Optional.ofNullable(env.get(name));
            }

            @Override
            public List<String> keys() {
                return List.copyOf(env.keySet());
            }
        };
    }
}
