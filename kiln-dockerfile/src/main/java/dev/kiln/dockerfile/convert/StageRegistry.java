package dev.kiln.dockerfile.convert;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Every stage of a conversion in order, found by name (case-insensitively) or by index. */
final class StageRegistry {

    private final List<StageState> states = new ArrayList<>();
    private final Map<String, StageState> byName = new HashMap<>();

    /** Adds a stage; one whose base is an earlier stage's name starts from that stage. */
    void add(StageState stage) {
        states.add(stage);
        StageState base = byName.get(stage.baseName);
        if (base != null) {
            stage.base = base;
        }
        if (!stage.name().isEmpty()) {
            byName.put(stage.name().toLowerCase(Locale.ROOT), stage);
        }
    }

    Optional<StageState> byName(String name) {
        return Optional.ofNullable(byName.get(name.toLowerCase(Locale.ROOT)));
    }

    Optional<StageState> byIndex(int index) {
        return index >= 0 && index < states.size() ? Optional.of(states.get(index)) : Optional.empty();
    }

    List<StageState> all() {
        return states;
    }

    StageState last() {
        return states.getLast();
    }

    List<String> names() {
        List<String> names = new ArrayList<>();
        for (StageState state : states) {
            if (!state.stageName.isEmpty()) {
                names.add(state.stageName);
            }
        }
        return names;
    }
}
