package dev.kiln.dockerfile.convert;

import java.util.Comparator;
import java.util.List;

/**
 * What a build target accepts from its caller, as BuildKit's {@code frontend.outline} subrequest lists it: the
 * build arguments, secrets and SSH sockets of the stages the target reaches, each at the line that declares or
 * first uses it.
 *
 * @param name the target stage's name ("" for an unnamed stage)
 * @param description the target's description: the comment above its FROM that starts with its name
 */
public record Outline(
        String name, String description, List<Arg> args, List<ClientMount> secrets, List<ClientMount> ssh) {

    public Outline {
        args = args.stream()
                .sorted(Comparator.comparingInt(a -> a.lines().start()))
                .toList();
        secrets = secrets.stream()
                .sorted(Comparator.comparingInt(s -> s.lines().start()))
                .toList();
        ssh = ssh.stream()
                .sorted(Comparator.comparingInt(s -> s.lines().start()))
                .toList();
    }

    /** Lines {@code start}..{@code end} of the Dockerfile, 1-based. */
    public record Lines(int start, int end) {

        static Lines of(dev.kiln.dockerfile.instructions.Instruction.Origin origin) {
            return new Lines(origin.startLine(), origin.endLine());
        }
    }

    /**
     * A build argument the target uses.
     *
     * @param value its value for this build (the build argument's, else the default); null when it has none
     * @param description the comment above the ARG that starts with the argument's name
     */
    public record Arg(String name, String value, String description, Lines lines) {}

    /** A secret or SSH socket a RUN of the target mounts; {@code required} when the RUN fails without it. */
    public record ClientMount(String name, boolean required, Lines lines) {}

    /**
     * The description a definition carries, as BuildKit reads it: among the comment lines right above, the first
     * that starts with the defined name and a space, without them; "" when none does.
     */
    public static String description(List<String> comments, String name) {
        if (name.isEmpty()) {
            return "";
        }
        for (String comment : comments) {
            if (comment.startsWith(name + " ")) {
                return comment.substring(name.length() + 1);
            }
        }
        return "";
    }
}
