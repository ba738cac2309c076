package dev.kiln.worker.ops;

import dev.kiln.core.Trees;
import dev.kiln.llb.pb.Op;
import dev.kiln.solver.CacheMap;
import dev.kiln.solver.Operation;
import dev.kiln.solver.OperationContext;
import dev.kiln.solver.Result;
import dev.kiln.worker.SnapshotResult;
import dev.kiln.worker.UsageLedger;
import dev.kiln.worker.snapshot.Snapshot;
import dev.kiln.worker.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A {@code git://} source: one commit of a repository checked out with the git command, as
 * {@code ADD https://host/repo.git#ref:subdir} makes it. The key is the commit the ref points to
 * when keying (found with {@code git ls-remote}), so a moved branch is a new key and an unchanged
 * one is a cache hit without fetching anything.
 */
public final class GitSourceOperation implements Operation {

    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}|[0-9a-f]{64}");

    private final Op op;
    private final Snapshotter snapshotter;
    private final String remote;
    private final String ref;
    private final String subdir;
    private final boolean keepGitDir;
    private final UsageLedger ledger;

    /** The cache map note with the commit the key was made of, which a provenance names as the source's pin. */
    public static final String COMMIT_NOTE = "commit";

    public GitSourceOperation(Op op, Snapshotter snapshotter) {
        this(op, snapshotter, null);
    }

    /** As {@link #GitSourceOperation(Op, Snapshotter)}, telling {@code ledger} (if not null) what a checkout is. */
    public GitSourceOperation(Op op, Snapshotter snapshotter, UsageLedger ledger) {
        this.op = op;
        this.snapshotter = snapshotter;
        this.ledger = ledger;
        String identifier = op.getSource().getIdentifier();
        String fragment = identifier.contains("#") ? identifier.substring(identifier.indexOf('#') + 1) : "";
        int colon = fragment.indexOf(':');
        this.ref = colon < 0 ? fragment : fragment.substring(0, colon);
        this.subdir = colon < 0 ? "" : fragment.substring(colon + 1).replaceAll("^/+|/+$", "");
        String fullUrl = op.getSource().getAttrsOrDefault("git.fullurl", "");
        this.remote = fullUrl.isEmpty()
                ? "https://" + identifier.substring("git://".length()).split("#")[0]
                : fullUrl;
        this.keepGitDir = "true".equals(op.getSource().getAttrsOrDefault("git.keepgitdir", ""));
    }

    @Override
    public CacheMap cacheMap(OperationContext ctx) throws Exception {
        String commit = commit();
        return OpKeys.bySourceContent(op, commit).withNotes(java.util.Map.of(COMMIT_NOTE, commit));
    }

    /** The commit {@code ref} names on the remote (the default branch for an empty ref); a commit id as it is. */
    private String commit() throws IOException, InterruptedException {
        if (COMMIT.matcher(ref).matches()) {
            return ref;
        }
        String wanted = ref.isEmpty() ? "HEAD" : ref;
        String listing = git(null, "ls-remote", remote, wanted);
        for (String line : listing.split("\n")) {
            String[] parts = line.split("\t");
            if (parts.length == 2
                    && (parts[1].equals(wanted)
                            || parts[1].equals("refs/heads/" + wanted)
                            || parts[1].equals("refs/tags/" + wanted)
                            || parts[1].equals("refs/tags/" + wanted + "^{}"))) {
                return parts[0];
            }
        }
        throw new IOException("git source " + remote + ": no branch or tag named \"" + wanted + "\"");
    }

    @Override
    public List<Result> exec(OperationContext ctx, List<Result> inputs) throws Exception {
        String commit = commit();
        Snapshot snapshot = snapshotter.importLayer(Snapshot.SCRATCH, layer -> {
            try {
                checkout(ctx, layer, commit);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("git checkout of " + remote + " interrupted", e);
            }
        });
        if (ledger != null) {
            // BuildKit's type for checkouts: GC policies pick them out as easily fetched again
            ledger.describe(snapshot.id(), "source.git.checkout", "git snapshot for " + remote + " " + commit);
        }
        return List.of(new SnapshotResult(snapshot));
    }

    private void checkout(OperationContext ctx, Path layer, String commit) throws IOException, InterruptedException {
        Path clone = subdir.isEmpty() ? layer : Files.createDirectory(layer.resolve(".kiln-git-checkout"));
        git(clone, "init", "-q");
        git(
                clone,
                "fetch",
                "-q",
                "--depth",
                "1",
                remote,
                COMMIT.matcher(ref).matches() || ref.isEmpty() ? commit : ref);
        String fetched = git(clone, "rev-parse", "FETCH_HEAD").trim();
        if (!fetched.equals(commit)) {
            throw new IOException("git source " + remote + ": " + ref + " moved to " + fetched + " while building (was "
                    + commit + "); build again");
        }
        git(clone, "checkout", "-q", "FETCH_HEAD");
        if (Files.exists(clone.resolve(".gitmodules"))) {
            git(clone, "submodule", "update", "--init", "--recursive", "--depth", "1");
        }
        ctx.log(
                1,
                ("checked out " + commit + " of " + remote + "\n").getBytes(StandardCharsets.UTF_8),
                0,
                ("checked out " + commit + " of " + remote + "\n").length());
        if (!subdir.isEmpty()) {
            Path source = clone.resolve(subdir).normalize();
            if (!source.startsWith(clone) || !Files.isDirectory(source)) {
                throw new IOException("git source " + remote + ": " + subdir + " is not a directory at " + commit);
            }
            try (Stream<Path> children = Files.list(source)) {
                for (Path child : children.toList()) {
                    Files.move(child, layer.resolve(child.getFileName().toString()));
                }
            }
            Trees.deleteRecursively(clone);
        } else if (!keepGitDir) {
            Trees.deleteRecursively(layer.resolve(".git"));
        }
    }

    private static String git(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command =
                new ArrayList<>(List.of("git", "-c", "advice.detachedHead=false", "-c", "protocol.file.allow=always"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (dir != null) {
            builder.directory(dir.toFile());
        }
        builder.environment().put("GIT_TERMINAL_PROMPT", "0");
        Process process = builder.start();
        String output;
        try {
            output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (process.waitFor() != 0) {
                throw new IOException("git " + String.join(" ", args) + " failed: " + output.strip());
            }
        } finally {
            process.destroyForcibly();
        }
        return output;
    }
}
