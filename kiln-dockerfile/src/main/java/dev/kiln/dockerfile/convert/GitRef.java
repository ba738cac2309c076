package dev.kiln.dockerfile.convert;

import dev.kiln.dockerfile.instructions.InstructionException;
import dev.kiln.llb.GitOption;
import dev.kiln.llb.OpOption;
import dev.kiln.llb.State;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A git source as ADD and named contexts accept it: {@code https://host/repo.git#ref:subdir},
 * {@code git@host:repo.git}, {@code ssh://...}, {@code git://...}, with BuildKit's query form
 * ({@code ?ref=...&subdir=...&keep-git-dir=true&checksum=...}). An http(s) URL is git only when its path
 * ends in ".git", so ADD of a plain URL stays a download.
 *
 * @param remote the repository URL without fragment and query
 * @param keepGitDir null when the URL does not say
 * @param submodules null when the URL does not say
 */
public record GitRef(
        String remote, String ref, String subDir, String checksum, Boolean keepGitDir, Boolean submodules) {

    private static final Pattern SCP_LIKE = Pattern.compile("^[A-Za-z0-9_.-]+@[A-Za-z0-9.-]+:.+");
    private static final Pattern SCHEME = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]*)://.*");

    /**
     * The git reference {@code source} names, if it names one.
     *
     * @throws InstructionException for a git URL with a malformed query
     */
    public static Optional<GitRef> parse(String source) throws InstructionException {
        if (source.startsWith("./") || source.startsWith("../") || source.startsWith("github.com/")) {
            return Optional.empty();
        }
        String scheme;
        var schemeMatch = SCHEME.matcher(source);
        if (schemeMatch.matches()) {
            scheme = schemeMatch.group(1).toLowerCase(java.util.Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") && !scheme.equals("git") && !scheme.equals("ssh")) {
                return Optional.empty();
            }
        } else if (SCP_LIKE.matcher(source).matches()) {
            scheme = "ssh";
        } else {
            return Optional.empty();
        }
        String rest = source;
        String fragment = "";
        int hash = rest.indexOf('#');
        if (hash >= 0) {
            fragment = rest.substring(hash + 1);
            rest = rest.substring(0, hash);
        }
        String query = "";
        int question = rest.indexOf('?');
        if (question >= 0) {
            query = rest.substring(question + 1);
            rest = rest.substring(0, question);
        }
        if ((scheme.equals("http") || scheme.equals("https")) && !rest.endsWith(".git")) {
            return Optional.empty();
        }
        String ref = "";
        String subDir = "";
        if (!fragment.isEmpty()) {
            int colon = fragment.indexOf(':');
            ref = colon < 0 ? fragment : fragment.substring(0, colon);
            subDir = colon < 0 ? "" : fragment.substring(colon + 1);
        }
        GitRef parsed = new GitRef(rest, ref, subDir, "", null, null);
        return Optional.of(query.isEmpty() ? parsed : parsed.withQuery(query));
    }

    /** This reference with the keep-git-dir choice and the pinned commit its user settled on. */
    public GitRef with(Boolean keepGitDir, String checksum) {
        return new GitRef(remote, ref, subDir, checksum, keepGitDir, submodules);
    }

    /**
     * The LLB git source of this reference, named {@code progressName} in the build's progress.
     *
     * @throws IllegalArgumentException for a remote the git source does not take
     */
    public State source(String progressName) {
        List<GitOption> options = new ArrayList<>();
        options.add(OpOption.customName(progressName));
        if (Boolean.TRUE.equals(keepGitDir)) {
            options.add(GitOption.keepGitDir());
        }
        if (!checksum.isEmpty()) {
            options.add(GitOption.checksum(checksum));
        }
        if (!subDir.isEmpty()) {
            options.add(GitOption.subDir(subDir));
        }
        if (Boolean.FALSE.equals(submodules)) {
            options.add(GitOption.skipSubmodules());
        }
        return State.git(remote, ref, options.toArray(GitOption[]::new));
    }

    private GitRef withQuery(String query) throws InstructionException {
        Map<String, String> values = new LinkedHashMap<>();
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            if (values.containsKey(key)) {
                throw new InstructionException("query \"" + key + "\" has multiple values");
            }
            values.put(key, value);
        }
        String newRef = ref;
        String newSubDir = subDir;
        String newChecksum = checksum;
        Boolean keep = keepGitDir;
        Boolean modules = submodules;
        String tag = "";
        String branch = "";
        for (Map.Entry<String, String> entry : values.entrySet()) {
            String key = entry.getKey();
            String value = entry.getValue();
            boolean flag = key.equals("submodules") || key.equals("keep-git-dir") || key.equals("fetch-by-commit");
            if (value.isEmpty() && !flag) {
                throw new InstructionException("query \"" + key + "\" has no value");
            }
            switch (key) {
                case "ref" -> {
                    if (!newRef.isEmpty() && !newRef.equals(value)) {
                        throw new InstructionException("ref conflicts: \"" + newRef + "\" vs \"" + value + "\"");
                    }
                    newRef = value;
                }
                case "tag" -> tag = value.startsWith("refs/tags/") ? value : "refs/tags/" + value;
                case "branch" -> branch = value.startsWith("refs/heads/") ? value : "refs/heads/" + value;
                case "subdir" -> {
                    if (!newSubDir.isEmpty() && !newSubDir.equals(value)) {
                        throw new InstructionException("subdir conflicts: \"" + newSubDir + "\" vs \"" + value + "\"");
                    }
                    newSubDir = value;
                }
                case "checksum", "commit" -> newChecksum = value;
                case "keep-git-dir" -> keep = bool(key, value);
                case "submodules" -> modules = bool(key, value);
                case "fetch-by-commit" -> bool(key, value);
                default -> throw new InstructionException("unexpected query \"" + key + "\"");
            }
        }
        if (!tag.isEmpty() && !branch.isEmpty()) {
            throw new InstructionException("branch conflicts with tag");
        }
        for (String named : new String[] {tag, branch}) {
            if (!named.isEmpty()) {
                if (!newRef.isEmpty() && !newRef.equals(named)) {
                    throw new InstructionException("ref conflicts: \"" + newRef + "\" vs \"" + named + "\"");
                }
                newRef = named;
            }
        }
        return new GitRef(remote, newRef, newSubDir, newChecksum, keep, modules);
    }

    private static boolean bool(String key, String value) throws InstructionException {
        return switch (value.toLowerCase(java.util.Locale.ROOT)) {
            case "", "1", "t", "true" -> true;
            case "0", "f", "false" -> false;
            default -> throw new InstructionException("invalid " + key + " value: \"" + value + "\"");
        };
    }
}
