package dev.kiln.engine.export;

import dev.kiln.core.Platform;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The annotations an image output asks for, by where each goes, with BuildKit's attribute names:
 * {@code annotation.KEY} and {@code annotation-manifest.KEY} on each manifest, {@code annotation-index.KEY} on the
 * index, {@code annotation-manifest-descriptor.KEY} on a manifest's entry in the index and
 * {@code annotation-index-descriptor.KEY} on the index's entry in an OCI layout. The manifest ones may name one
 * platform ({@code annotation[linux/arm64].KEY}); those apply to that platform's manifest only.
 *
 * @param byPlace the annotations of each place, keys sorted
 */
public record ImageAnnotations(Map<Place, Map<String, String>> byPlace) {

    public static final ImageAnnotations NONE = new ImageAnnotations(Map.of());

    /**
     * Where an annotation goes, each named by the attribute prefix its constant's name spells ({@code INDEX} is
     * {@code annotation-index}); the longest of a shared start comes first, so it is matched first.
     */
    public enum Kind {
        MANIFEST_DESCRIPTOR,
        MANIFEST,
        INDEX_DESCRIPTOR,
        INDEX,
        /** {@code annotation.KEY}: BuildKit's short form of the manifest's. */
        MANIFEST_SHORT;

        private String prefix() {
            return this == MANIFEST_SHORT
                    ? "annotation"
                    : "annotation-" + name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }

        /** Only what belongs to one image may name a platform: an index, and its entry, are for all of them. */
        private boolean perPlatform() {
            return this != INDEX && this != INDEX_DESCRIPTOR;
        }

        private Kind place() {
            return this == MANIFEST_SHORT ? MANIFEST : this;
        }
    }

    /** A kind of place, for every platform (empty) or for one. */
    public record Place(Kind kind, Optional<Platform> platform) {}

    public ImageAnnotations {
        Map<Place, Map<String, String>> copy = new LinkedHashMap<>();
        byPlace.forEach((place, values) -> {
            if (!values.isEmpty()) {
                copy.put(place, Map.copyOf(new TreeMap<>(values)));
            }
        });
        byPlace = Map.copyOf(copy);
    }

    /** Whether {@code key} is an annotation attribute of any kind. */
    static boolean isAttribute(String key) {
        return key.startsWith("annotation.") || key.startsWith("annotation[") || key.startsWith("annotation-");
    }

    /**
     * These annotations with the one attribute {@code key=value} added.
     *
     * @throws IllegalArgumentException naming the attribute when its form is not one of BuildKit's
     */
    ImageAnnotations with(String key, String value) {
        for (Kind kind : Kind.values()) {
            if (!key.startsWith(kind.prefix()) || key.length() == kind.prefix().length()) {
                continue;
            }
            String rest = key.substring(kind.prefix().length());
            Optional<Platform> platform = Optional.empty();
            if (rest.startsWith("[")) {
                int close = rest.indexOf(']');
                if (!kind.perPlatform() || close < 0) {
                    throw new IllegalArgumentException(key + ": " + kind.prefix()
                            + (kind.perPlatform() ? " needs ] after its platform" : " is for every platform, not one"));
                }
                platform = Optional.of(platform(key, rest.substring(1, close)));
                rest = rest.substring(close + 1);
            }
            if (!rest.startsWith(".")) {
                continue;
            }
            String name = rest.substring(1);
            if (name.isEmpty()) {
                throw new IllegalArgumentException(key + ": expected " + kind.prefix() + ".KEY=VALUE");
            }
            return with(new Place(kind.place(), platform), Map.of(name, value));
        }
        throw new IllegalArgumentException(key + ": expected annotation.KEY, annotation[PLATFORM].KEY, "
                + "annotation-manifest.KEY, annotation-index.KEY, annotation-manifest-descriptor.KEY "
                + "or annotation-index-descriptor.KEY");
    }

    /** These annotations with {@code values} added at {@code place}. */
    ImageAnnotations with(Place place, Map<String, String> values) {
        Map<Place, Map<String, String>> changed = new LinkedHashMap<>(byPlace);
        Map<String, String> merged = new LinkedHashMap<>(changed.getOrDefault(place, Map.of()));
        merged.putAll(values);
        changed.put(place, merged);
        return new ImageAnnotations(changed);
    }

    /** These annotations with those for every platform at {@code kind} replaced by {@code values}. */
    ImageAnnotations replacing(Kind kind, Map<String, String> values) {
        Map<Place, Map<String, String>> changed = new LinkedHashMap<>(byPlace);
        changed.put(new Place(kind, Optional.empty()), values);
        return new ImageAnnotations(changed);
    }

    /** What goes at {@code kind} for every platform. */
    public Map<String, String> of(Kind kind) {
        return byPlace.getOrDefault(new Place(kind, Optional.empty()), Map.of());
    }

    /** What goes at {@code kind} of {@code platform}'s image: the ones for every platform, then its own over them. */
    public Map<String, String> of(Kind kind, Platform platform) {
        Map<String, String> merged = new TreeMap<>(of(kind));
        merged.putAll(byPlace.getOrDefault(new Place(kind, Optional.of(platform.normalize())), Map.of()));
        return Map.copyOf(merged);
    }

    /** The platforms annotations name ({@code annotation[linux/arm64].KEY}). */
    Set<Platform> platforms() {
        Set<Platform> platforms = new LinkedHashSet<>();
        byPlace.keySet().forEach(place -> place.platform().ifPresent(platforms::add));
        return platforms;
    }

    public boolean isEmpty() {
        return byPlace.isEmpty();
    }

    /** Whether there are annotations for an index or its entry, which a single image has neither of. */
    boolean needIndex() {
        return !of(Kind.INDEX).isEmpty() || !of(Kind.INDEX_DESCRIPTOR).isEmpty();
    }

    private static Platform platform(String key, String text) {
        try {
            return Platform.parse(text).normalize();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
        }
    }
}
