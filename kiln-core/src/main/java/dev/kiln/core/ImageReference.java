package dev.kiln.core;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A container image reference in the fully qualified form Docker's reference library gives it:
 * "busybox" is {@code docker.io/library/busybox}, "localhost:5000/app:1" keeps its registry.
 *
 * @param domain the registry host (and port), e.g. {@code docker.io}
 * @param path the repository path, e.g. {@code library/busybox}
 * @param tag the tag, or "" when there is none
 * @param digest the digest ({@code sha256:...}), or "" when there is none
 */
public record ImageReference(String domain, String path, String tag, String digest) {

    private static final String ALPHANUMERIC = "[a-z0-9]+";
    private static final String SEPARATOR = "(?:[._]|__|[-]+)";
    private static final String DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private static final String DOMAIN_AND_PORT =
            "(?:" + DOMAIN_COMPONENT + "(?:\\." + DOMAIN_COMPONENT + ")*" + "|\\[(?:[a-fA-F0-9:]+)\\])(?::[0-9]+)?";
    private static final String PATH_COMPONENT = ALPHANUMERIC + "(?:" + SEPARATOR + ALPHANUMERIC + ")*";
    private static final String REMOTE_NAME = PATH_COMPONENT + "(?:/" + PATH_COMPONENT + ")*";
    private static final String TAG = "[\\w][\\w.-]{0,127}";
    private static final String DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
    private static final Pattern REFERENCE = Pattern.compile(
            "^((?:" + DOMAIN_AND_PORT + "/)?" + REMOTE_NAME + ")(?::(" + TAG + "))?(?:@(" + DIGEST + "))?$");
    private static final Pattern NAME = Pattern.compile("^(?:(" + DOMAIN_AND_PORT + ")/)?(" + REMOTE_NAME + ")$");
    private static final Pattern IDENTIFIER = Pattern.compile("^[a-f0-9]{64}$");
    private static final int NAME_MAX = 255;

    static final String DEFAULT_DOMAIN = "docker.io";
    private static final String LEGACY_DEFAULT_DOMAIN = "index.docker.io";
    private static final String OFFICIAL_PREFIX = "library/";

    /**
     * Parses a reference as a user writes it and fills in what Docker assumes: the docker.io
     * registry and the library/ namespace for single-name official images. No default tag is
     * added; see {@link #withDefaultTag()}.
     *
     * @throws IllegalArgumentException naming what is wrong with {@code reference}
     */
    public static ImageReference parseNormalized(String reference) {
        if (IDENTIFIER.matcher(reference).matches()) {
            throw invalid(reference, "a 64-character hexadecimal string is an image ID, not a repository name");
        }
        String domain;
        String remainder;
        int slash = reference.indexOf('/');
        if (slash < 0) {
            domain = DEFAULT_DOMAIN;
            remainder = reference;
        } else {
            String first = reference.substring(0, slash);
            remainder = reference.substring(slash + 1);
            if (first.equals(LEGACY_DEFAULT_DOMAIN)) {
                domain = DEFAULT_DOMAIN;
            } else if (first.equals("localhost")
                    || first.contains(".")
                    || first.contains(":")
                    || !first.toLowerCase(Locale.ROOT).equals(first)) {
                domain = first;
            } else {
                domain = DEFAULT_DOMAIN;
                remainder = reference;
            }
        }
        if (domain.equals(DEFAULT_DOMAIN) && remainder.indexOf('/') < 0) {
            remainder = OFFICIAL_PREFIX + remainder;
        }
        int tagSeparator = remainder.indexOf(':');
        String repository = tagSeparator < 0 ? remainder : remainder.substring(0, tagSeparator);
        if (!repository.toLowerCase(Locale.ROOT).equals(repository)) {
            throw invalid(reference, "repository name (" + repository + ") must be lowercase");
        }
        return parse(reference, domain + "/" + remainder);
    }

    private static ImageReference parse(String original, String qualified) {
        Matcher reference = REFERENCE.matcher(qualified);
        if (!reference.matches()) {
            throw invalid(original, "it is not of the form [registry/]repository[:tag][@digest]");
        }
        Matcher name = NAME.matcher(reference.group(1));
        if (!name.matches() || name.group(1) == null) {
            throw invalid(original, "no registry domain");
        }
        String path = name.group(2);
        if (path.length() > NAME_MAX) {
            throw invalid(original, "repository name must not be more than " + NAME_MAX + " characters");
        }
        String digest = reference.group(3) == null ? "" : reference.group(3);
        if (!digest.isEmpty()) {
            try {
                Digest.parse(digest);
            } catch (IllegalArgumentException e) {
                throw invalid(original, e.getMessage());
            }
        }
        return new ImageReference(name.group(1), path, reference.group(2) == null ? "" : reference.group(2), digest);
    }

    private static IllegalArgumentException invalid(String reference, String why) {
        return new IllegalArgumentException("invalid image reference \"" + reference + "\": " + why);
    }

    /** Adds the tag "latest" to a reference that has neither a tag nor a digest. */
    public ImageReference withDefaultTag() {
        return tag.isEmpty() && digest.isEmpty() ? new ImageReference(domain, path, "latest", digest) : this;
    }

    /** Registry and repository, e.g. {@code docker.io/library/busybox}. */
    public String name() {
        return domain + "/" + path;
    }

    @Override
    public String toString() {
        return name() + (tag.isEmpty() ? "" : ":" + tag) + (digest.isEmpty() ? "" : "@" + digest);
    }
}
