package dev.kiln.llb;

import dev.kiln.llb.pb.ChownOpt;
import dev.kiln.llb.pb.NamedUserOpt;
import dev.kiln.llb.pb.UserOpt;
import java.util.Objects;

/**
 * The owner a file action gives what it creates: user and group, each by numeric id or by a name
 * resolved in the target filesystem's /etc/passwd and /etc/group. A null group leaves the group to
 * the worker (the user's primary group).
 */
public record Owner(Who user, Who group) implements MkdirOption, MkfileOption, CopyOption, SymlinkOption {

    public Owner {
        Objects.requireNonNull(user, "user");
    }

    public static Owner ids(int uid, int gid) {
        return new Owner(new Who.Id(uid), new Who.Id(gid));
    }

    /**
     * Parses "user", "user:group", "1000" or "1000:1000" as BuildKit's {@code WithUser} does:
     * a number (or "root") is an id, anything else a name.
     */
    public static Owner parse(String spec) {
        if (spec == null || spec.isEmpty()) {
            throw new IllegalArgumentException("an owner needs a user (\"user\", \"user:group\", \"uid:gid\")");
        }
        int colon = spec.indexOf(':');
        if (colon < 0) {
            return new Owner(Who.parse(spec), null);
        }
        return new Owner(Who.parse(spec.substring(0, colon)), Who.parse(spec.substring(colon + 1)));
    }

    /** {@code base} is the op input whose /etc files resolve names (-1 for none). */
    ChownOpt toProto(long base) {
        ChownOpt.Builder chown = ChownOpt.newBuilder().setUser(user.toProto(base));
        if (group != null) {
            chown.setGroup(group.toProto(base));
        }
        return chown.build();
    }

    /** A user or group, by id or by name. */
    public sealed interface Who {

        static Who parse(String text) {
            if (text.equals("root")) {
                return new Id(0);
            }
            try {
                return new Id(Integer.parseInt(text));
            } catch (NumberFormatException e) {
                return new Name(text);
            }
        }

        UserOpt toProto(long base);

        record Id(int id) implements Who {
            @Override
            public UserOpt toProto(long base) {
                return UserOpt.newBuilder().setByID(id).build();
            }
        }

        record Name(String name) implements Who {
            public Name {
                if (name == null || name.isEmpty()) {
                    throw new IllegalArgumentException("a user or group name must not be empty");
                }
            }

            @Override
            public UserOpt toProto(long base) {
                return UserOpt.newBuilder()
                        .setByName(NamedUserOpt.newBuilder().setName(name).setInput(base))
                        .build();
            }
        }
    }
}
