package dev.kiln.worker.user;

import dev.kiln.worker.fs.ScopedRoot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The users and groups of a root filesystem, read from its /etc/passwd and /etc/group (symlinks resolved inside
 * the rootfs), so that "USER app:staff" means what it means inside the image, not on the host.
 */
public final class UserDatabase {
    private record PasswdEntry(String name, int uid, int gid, String home) {}

    private record GroupEntry(String name, int gid, List<String> members) {}

    private final List<PasswdEntry> users;
    private final List<GroupEntry> groups;

    private UserDatabase(List<PasswdEntry> users, List<GroupEntry> groups) {
        this.users = users;
        this.groups = groups;
    }

    /** Reads the rootfs's databases; a missing file counts as empty, so numeric ids still work in scratch images. */
    public static UserDatabase of(Path rootfs) throws IOException {
        ScopedRoot scope = new ScopedRoot(rootfs);
        return new UserDatabase(
                parse(scope.resolve("/etc/passwd"), 7, f -> new PasswdEntry(f[0], id(f[2]), id(f[3]), f[5])),
                parse(
                        scope.resolve("/etc/group"),
                        4,
                        f -> new GroupEntry(f[0], id(f[2]), f[3].isEmpty() ? List.of() : List.of(f[3].split(",")))));
    }

    /**
     * Resolves a user as Docker's USER and BuildKit's exec meta give it: "" (root), "name", "uid", "name:group",
     * "uid:gid" and the mixed forms. Supplementary groups are the primary group and, when no group is given, the
     * groups that list the user's name as a member, as BuildKit fills the OCI spec's additionalGids.
     *
     * @throws IllegalArgumentException naming the user or group that the rootfs does not know
     */
    public Identity resolveUser(String spec) {
        if (spec == null || spec.isEmpty()) {
            spec = "0";
        }
        int colon = spec.indexOf(':');
        String userPart = colon < 0 ? spec : spec.substring(0, colon);
        String groupPart = colon < 0 ? null : spec.substring(colon + 1);
        if (userPart.isEmpty()) {
            throw new IllegalArgumentException("user \"" + spec + "\" has an empty user name before ':'");
        }

        Optional<PasswdEntry> entry = isNumeric(userPart)
                ? users.stream()
                        .filter(u -> u.uid() == parseId(userPart, "uid"))
                        .findFirst()
                : users.stream().filter(u -> u.name().equals(userPart)).findFirst();
        if (entry.isEmpty() && !isNumeric(userPart)) {
            throw new IllegalArgumentException(
                    "unknown user \"" + userPart + "\": no such name in the image's /etc/passwd");
        }
        int uid = entry.map(PasswdEntry::uid).orElseGet(() -> parseId(userPart, "uid"));
        int gid = groupPart == null || groupPart.isEmpty()
                ? entry.map(PasswdEntry::gid).orElse(0)
                : resolveGroup(groupPart);

        // Memberships count only when the group is implicit: "app:staff" asks for exactly one group, as in runc's
        // user lookup that BuildKit uses.
        Set<Integer> memberships = new LinkedHashSet<>();
        if (groupPart == null || groupPart.isEmpty()) {
            entry.ifPresent(user -> {
                for (GroupEntry group : groups) {
                    if (group.members().contains(user.name())) {
                        memberships.add(group.gid());
                    }
                }
            });
        }
        // BuildKit (like containerd and Docker) puts the primary group in front of the memberships unless one already
        // names it, so getgroups() and `id` in a RUN step list it as they do under BuildKit.
        List<Integer> additional = new ArrayList<>();
        if (!memberships.contains(gid)) {
            additional.add(gid);
        }
        additional.addAll(memberships);
        String home = entry.map(PasswdEntry::home).orElse("/");
        return new Identity(uid, gid, additional, home);
    }

    /**
     * Resolves a group name or number to a gid.
     *
     * @throws IllegalArgumentException naming a group that is not in the rootfs's /etc/group
     */
    public int resolveGroup(String spec) {
        if (spec == null || spec.isEmpty()) {
            throw new IllegalArgumentException("group must not be empty");
        }
        if (isNumeric(spec)) {
            return parseId(spec, "gid");
        }
        return groups.stream()
                .filter(g -> g.name().equals(spec))
                .findFirst()
                .map(GroupEntry::gid)
                .orElseThrow(() -> new IllegalArgumentException(
                        "unknown group \"" + spec + "\": no such name in the image's /etc/group"));
    }

    private static boolean isNumeric(String value) {
        return !value.isEmpty() && value.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    private static int parseId(String value, String what) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " " + value + " is out of range 0.." + Integer.MAX_VALUE);
        }
    }

    /** Ids in these files are decimal; a malformed one makes the line unusable, as libc's getpwent would skip it. */
    private static int id(String value) {
        if (!isNumeric(value)) {
            throw new NumberFormatException(value);
        }
        return Integer.parseInt(value);
    }

    private interface LineParser<T> {
        T parse(String[] fields);
    }

    private static <T> List<T> parse(Path file, int fieldCount, LineParser<T> parser) throws IOException {
        List<String> lines;
        try {
            lines = new String(Files.readAllBytes(file), StandardCharsets.UTF_8)
                    .lines()
                    .toList();
        } catch (NoSuchFileException e) {
            return List.of();
        }
        List<T> entries = new ArrayList<>();
        for (String line : lines) {
            if (line.isBlank() || line.startsWith("#") || line.startsWith("+") || line.startsWith("-")) {
                continue;
            }
            String[] fields = line.split(":", -1);
            if (fields.length < fieldCount) {
                continue;
            }
            try {
                entries.add(parser.parse(fields));
            } catch (NumberFormatException e) {
                // skipped like libc does: one bad line must not hide the other users
            }
        }
        return List.copyOf(entries);
    }
}
