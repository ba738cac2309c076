package dev.kiln.engine.explain;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.kiln.core.Digest;
import dev.kiln.engine.CacheMiss;
import dev.kiln.llb.LlbVertex;
import dev.kiln.llb.OpKind;
import dev.kiln.llb.pb.ExecOp;
import dev.kiln.llb.pb.Meta;
import dev.kiln.llb.pb.Mount;
import dev.kiln.llb.pb.Op;
import dev.kiln.solver.KeyedStep;
import dev.kiln.worker.AtomicWrite;
import dev.kiln.worker.ops.ImageSourceOperation;
import dev.kiln.worker.ops.LocalSourceOperation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Explains why the steps of a build ran, compared with the last build of the same target on this state, and keeps
 * this build's {@link BuildRecord} for the next one.
 *
 * <p>Each step that ran is matched with its counterpart in the last build: the step with the same key (then the key
 * is unchanged and only a pruned result explains the run), else the same vertex digest, else the same name, else the
 * same kind of op on the counterparts of the same inputs (a RUN whose command changed has a new name and digest, but
 * still runs on the same base). Then the causes are listed in the step's own order: its op's definition first (the
 * command, the environment, where a build argument shows, the mounts, a base image's digest, a local source's files),
 * then its inputs in input order. An input that changed because the step producing it ran carries that step's
 * cause along, so a RUN after a COPY names the context file that changed, not the COPY. The first cause is named,
 * the others counted.
 */
public final class CacheExplainer {

    static final int VERSION = 1;
    /** An op larger than this (an inline document, say) is recorded by its key only. */
    static final int MAX_OP_BYTES = 64 * 1024;

    private static final int SHORT_VALUE = 40;
    private static final String ARG_PREFIX = "build-arg:";
    private static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Path file;
    private final String target;
    private final Map<String, String> buildArgs;

    /**
     * @param stateDir     the engine's state directory; records live in its {@code explain/} directory
     * @param target       what names the build's target (see the engine), hashed into the record's file name
     * @param frontendOpts the build's frontend options; its {@code build-arg:NAME} entries are the build arguments
     */
    public CacheExplainer(Path stateDir, String target, Map<String, String> frontendOpts) {
        this.target = target;
        this.file = stateDir.resolve("explain")
                .resolve(Digest.sha256(target.getBytes(StandardCharsets.UTF_8)).hex() + ".json");
        var args = new java.util.TreeMap<String, String>();
        frontendOpts.forEach((name, value) -> {
            if (name.startsWith(ARG_PREFIX)) {
                args.put(name.substring(ARG_PREFIX.length()), shorten(value));
            }
        });
        this.buildArgs = args;
    }

    /**
     * Explains every step of {@code steps} that ran, compared with this target's last recorded build, and records
     * nothing (a failed build's steps).
     */
    public List<CacheMiss> explain(List<KeyedStep> steps, Map<String, LlbVertex> vertices) {
        return new Comparison(load(), record(steps, vertices), steps, vertices).misses();
    }

    /**
     * Explains every step of {@code steps} that ran, in step order, then records the steps as this target's last
     * build (unless the last build had the same keys already, so a cached build writes nothing).
     *
     * @param steps    the build's steps, every step after the steps it consumes
     * @param vertices the build's LLB vertices by digest, for the ops' definitions
     */
    public List<CacheMiss> explainAndRecord(List<KeyedStep> steps, Map<String, LlbVertex> vertices) throws IOException {
        BuildRecord last = load();
        BuildRecord now = record(steps, vertices);
        List<CacheMiss> misses = new Comparison(last, now, steps, vertices).misses();
        if (last == null || !sameKeys(last, now)) {
            Files.createDirectories(file.getParent());
            AtomicWrite.write(file, JSON.writeValueAsBytes(now));
        }
        return misses;
    }

    private BuildRecord load() {
        try {
            BuildRecord record = JSON.readValue(Files.readAllBytes(file), BuildRecord.class);
            return record.version() == VERSION && target.equals(record.target()) ? record : null;
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | RuntimeException e) {
            // A damaged record only costs this build its explanations; the new one replaces it.
            return null;
        }
    }

    private static boolean sameKeys(BuildRecord a, BuildRecord b) {
        return a.buildArgs().equals(b.buildArgs())
                && a.steps().stream()
                        .map(BuildRecord.Step::key)
                        .toList()
                        .equals(b.steps().stream().map(BuildRecord.Step::key).toList());
    }

    private BuildRecord record(List<KeyedStep> steps, Map<String, LlbVertex> vertices) {
        var recorded = new ArrayList<BuildRecord.Step>(steps.size());
        for (KeyedStep step : steps) {
            LlbVertex vertex = vertices.get(step.vertexDigest());
            String kind = "";
            String op = "";
            if (vertex != null) {
                kind = OpKind.of(vertex.op())
                        .map(k -> k.name().toLowerCase(Locale.ROOT))
                        .orElse("");
                byte[] bytes = vertex.op().toBuilder().clearInputs().build().toByteArray();
                op = bytes.length > MAX_OP_BYTES ? "" : Base64.getEncoder().encodeToString(bytes);
            }
            var inputs = new ArrayList<BuildRecord.Input>(step.inputs().size());
            for (KeyedStep.StepInput input : step.inputs()) {
                inputs.add(
                        switch (input) {
                            case KeyedStep.StepInput.Linked linked ->
                                new BuildRecord.Input(linked.producerKey(), linked.producerOutput(), "", List.of());
                            case KeyedStep.StepInput.Content content ->
                                new BuildRecord.Input(
                                        content.producerKey(),
                                        content.producerOutput(),
                                        content.checksum(),
                                        content.selectors());
                        });
            }
            recorded.add(new BuildRecord.Step(
                    step.vertexDigest(), step.name(), kind, step.key(), step.opKey(), op, step.notes(), inputs));
        }
        return new BuildRecord(VERSION, target, buildArgs, recorded);
    }

    /** One cause of a run; a step's explanation names the first and counts the rest. */
    private record Change(String reason, String message, Map<String, String> details) {}

    /** This build compared with the last one. */
    private static final class Comparison {

        private final BuildRecord last;
        private final BuildRecord now;
        private final List<KeyedStep> steps;
        private final Map<String, LlbVertex> vertices;
        private final Map<String, BuildRecord.Step> lastByKey = new HashMap<>();
        private final Map<String, BuildRecord.Step> lastByDigest = new HashMap<>();
        private final Map<String, Deque<BuildRecord.Step>> lastByName = new HashMap<>();
        private final Map<String, BuildRecord.Step> lastBySignature = new HashMap<>();
        private final Map<String, BuildRecord.Step> nowByKey = new HashMap<>();
        /** This build's step key to its counterpart in the last build. */
        private final Map<String, BuildRecord.Step> counterparts = new HashMap<>();

        private final Set<BuildRecord.Step> matched = new HashSet<>();
        /** The explanations so far, by step key, for the dependants that carry them along. */
        private final Map<String, CacheMiss> explained = new HashMap<>();

        Comparison(BuildRecord last, BuildRecord now, List<KeyedStep> steps, Map<String, LlbVertex> vertices) {
            this.last = last;
            this.now = now;
            this.steps = steps;
            this.vertices = vertices;
            if (last != null) {
                for (BuildRecord.Step step : last.steps()) {
                    lastByKey.putIfAbsent(step.key(), step);
                    lastByDigest.putIfAbsent(step.digest(), step);
                    lastByName
                            .computeIfAbsent(step.name(), n -> new ArrayDeque<>())
                            .add(step);
                    if (!step.inputs().isEmpty()) {
                        lastBySignature.putIfAbsent(signature(step.kind(), step.inputs(), Map.of()), step);
                    }
                    String source = sourceSignature(step);
                    if (source != null) {
                        lastBySignature.putIfAbsent(source, step);
                    }
                }
            }
            for (BuildRecord.Step step : now.steps()) {
                nowByKey.putIfAbsent(step.key(), step);
            }
        }

        List<CacheMiss> misses() {
            var misses = new ArrayList<CacheMiss>();
            for (int i = 0; i < steps.size(); i++) {
                KeyedStep step = steps.get(i);
                BuildRecord.Step recorded = now.steps().get(i);
                BuildRecord.Step counterpart = last == null ? null : counterpart(recorded);
                if (counterpart != null) {
                    counterparts.put(recorded.key(), counterpart);
                }
                if (!step.ran()) {
                    continue;
                }
                CacheMiss miss = explain(step, recorded, counterpart);
                explained.put(recorded.key(), miss);
                misses.add(miss);
            }
            return misses;
        }

        private BuildRecord.Step counterpart(BuildRecord.Step step) {
            BuildRecord.Step found = lastByKey.get(step.key());
            if (found == null) {
                found = lastByDigest.get(step.digest());
            }
            if (found == null) {
                Deque<BuildRecord.Step> named = lastByName.getOrDefault(step.name(), new ArrayDeque<>());
                for (BuildRecord.Step candidate : named) {
                    if (!matched.contains(candidate)) {
                        found = candidate;
                        break;
                    }
                }
            }
            if (found == null && !step.inputs().isEmpty()) {
                Map<String, String> translate = new HashMap<>();
                counterparts.forEach((key, old) -> translate.put(key, old.key()));
                found = lastBySignature.get(signature(step.kind(), step.inputs(), translate));
            }
            if (found == null && sourceSignature(step) != null) {
                found = lastBySignature.get(sourceSignature(step));
            }
            if (found != null) {
                matched.add(found);
            }
            return found;
        }

        /**
         * A source by what it names, without a pinned digest: a base image whose tag moved is the same source, but
         * its name (which shows the digest) and its op changed.
         */
        private static String sourceSignature(BuildRecord.Step step) {
            Op op = step.inputs().isEmpty() ? decode(step) : null;
            return op == null || !op.hasSource()
                    ? null
                    : "source " + withoutDigest(op.getSource().getIdentifier());
        }

        /** A step's kind of op and where its inputs come from, in the last build's keys. */
        private static String signature(String kind, List<BuildRecord.Input> inputs, Map<String, String> translate) {
            var text = new StringBuilder(kind);
            for (BuildRecord.Input input : inputs) {
                text.append(' ')
                        .append(translate.getOrDefault(input.producer(), input.producer()))
                        .append('#')
                        .append(input.output());
            }
            return text.toString();
        }

        private CacheMiss explain(KeyedStep step, BuildRecord.Step now, BuildRecord.Step before) {
            LlbVertex vertex = vertices.get(step.vertexDigest());
            if (vertex != null && vertex.ignoreCache()) {
                return miss(
                        step,
                        List.of(new Change(
                                CacheMiss.REASON_NO_CACHE, "it is marked to ignore the cache (--no-cache)", Map.of())));
            }
            if (last == null) {
                return miss(
                        step,
                        List.of(new Change(
                                CacheMiss.REASON_NO_RECORD, "no earlier build of this target is recorded", Map.of())));
            }
            if (before == null) {
                return miss(
                        step,
                        List.of(new Change(
                                CacheMiss.REASON_NEW_STEP,
                                "the last build of this target had no such step",
                                Map.of())));
            }
            if (before.key().equals(now.key())) {
                return miss(
                        step,
                        List.of(new Change(
                                CacheMiss.REASON_PRUNED, "its cache record was pruned", Map.of("key", now.key()))));
            }
            var changes = new ArrayList<Change>();
            if (!before.opKey().equals(now.opKey())) {
                changes.addAll(opChanges(before, now));
            }
            for (int i = 0; i < now.inputs().size(); i++) {
                BuildRecord.Input input = now.inputs().get(i);
                BuildRecord.Input old =
                        i < before.inputs().size() ? before.inputs().get(i) : null;
                changes.addAll(inputChanges(old, input));
            }
            if (changes.isEmpty()) {
                changes.add(new Change(
                        CacheMiss.REASON_DEFINITION,
                        "its cache key changed",
                        Map.of("old", before.key(), "new", now.key())));
            }
            return miss(step, changes);
        }

        private static CacheMiss miss(KeyedStep step, List<Change> changes) {
            Change first = changes.getFirst();
            String message = first.message();
            var details = new LinkedHashMap<>(first.details());
            if (changes.size() > 1) {
                message += " (+" + (changes.size() - 1) + " more)";
                details.put("more", String.valueOf(changes.size() - 1));
            }
            return new CacheMiss(step.vertexDigest(), step.name(), first.reason(), message, details);
        }

        private List<Change> inputChanges(BuildRecord.Input old, BuildRecord.Input input) {
            BuildRecord.Step producer = nowByKey.get(input.producer());
            String producerName = producer == null ? "an input" : "input \"" + producer.name() + "\"";
            if (old == null) {
                return List.of(new Change(CacheMiss.REASON_INPUT, "it has a new " + producerName, Map.of()));
            }
            boolean byContent = !input.checksum().isEmpty();
            if (byContent
                    ? input.checksum().equals(old.checksum())
                    : input.producer().equals(old.producer()) && input.output() == old.output()) {
                return List.of();
            }
            BuildRecord.Step oldProducer = lastByKey.get(old.producer());
            if (byContent && producer != null && oldProducer != null && isLocal(producer) && isLocal(oldProducer)) {
                List<Change> files = fileChanges(oldProducer.notes(), producer.notes(), input.selectors());
                if (!files.isEmpty()) {
                    return files;
                }
            }
            CacheMiss carried = explained.get(input.producer());
            if (carried != null) {
                var details = new LinkedHashMap<>(carried.details());
                details.put("via", carried.vertexName());
                return List.of(new Change(carried.reason(), carried.message(), details));
            }
            if (byContent) {
                return List.of(new Change(
                        CacheMiss.REASON_INPUT,
                        "the content of " + producerName + " changed (" + shortDigest(old.checksum()) + " -> "
                                + shortDigest(input.checksum()) + ")",
                        Map.of("old", old.checksum(), "new", input.checksum())));
            }
            return List.of(new Change(CacheMiss.REASON_INPUT, producerName + " changed", Map.of()));
        }

        private static boolean isLocal(BuildRecord.Step step) {
            Op op = decode(step);
            return op != null
                    && op.hasSource()
                    && op.getSource().getIdentifier().startsWith("local://");
        }

        private List<Change> opChanges(BuildRecord.Step before, BuildRecord.Step now) {
            Op old = decode(before);
            Op current = decode(now);
            if (old == null || current == null || old.getOpCase() != current.getOpCase()) {
                return List.of(new Change(CacheMiss.REASON_DEFINITION, "its definition changed", Map.of()));
            }
            var changes = new ArrayList<Change>();
            if (current.hasExec()) {
                changes.addAll(execChanges(old.getExec(), current.getExec()));
            } else if (current.hasSource()) {
                changes.addAll(sourceChanges(old, current, before.notes(), now.notes()));
            }
            Op oldRest = withoutExplained(old);
            Op currentRest = withoutExplained(current);
            if (!oldRest.equals(currentRest)
                    || changes.isEmpty() && !before.notes().equals(now.notes())) {
                changes.add(new Change(CacheMiss.REASON_DEFINITION, "its definition changed", Map.of()));
            }
            return changes;
        }

        /** The op without what {@link #execChanges} and {@link #sourceChanges} already explain. */
        private static Op withoutExplained(Op op) {
            if (op.hasExec()) {
                Meta meta = op.getExec().getMeta().toBuilder()
                        .clearArgs()
                        .clearEnv()
                        .build();
                return op.toBuilder()
                        .setExec(op.getExec().toBuilder().setMeta(meta).clearMounts())
                        .build();
            }
            if (op.hasSource() && op.getSource().getIdentifier().startsWith("docker-image://")) {
                return op.toBuilder()
                        .setSource(op.getSource().toBuilder()
                                .setIdentifier(withoutDigest(op.getSource().getIdentifier())))
                        .build();
            }
            if (op.hasSource() && op.getSource().getIdentifier().startsWith("local://")) {
                // Every client run is a new session; the files, not the session, make the key.
                return op.toBuilder()
                        .setSource(op.getSource().toBuilder()
                                .removeAttrs("local.session")
                                .removeAttrs("local.unique"))
                        .build();
            }
            return op;
        }

        private List<Change> execChanges(ExecOp old, ExecOp now) {
            var changes = new ArrayList<Change>();
            List<String> oldArgs = old.getMeta().getArgsList();
            List<String> newArgs = now.getMeta().getArgsList();
            if (!oldArgs.equals(newArgs)) {
                int common = 0;
                while (common < oldArgs.size() - 1
                        && common < newArgs.size() - 1
                        && oldArgs.get(common).equals(newArgs.get(common))) {
                    common++;
                }
                String before = String.join(" ", oldArgs.subList(common, oldArgs.size()));
                String after = String.join(" ", newArgs.subList(common, newArgs.size()));
                changes.add(new Change(
                        CacheMiss.REASON_COMMAND,
                        "its command changed: " + quote(before) + " -> " + quote(after),
                        Map.of("old", shorten(before), "new", shorten(after))));
            }
            changes.addAll(differences(
                    env(old.getMeta().getEnvList()), env(now.getMeta().getEnvList()), this::envChange));
            changes.addAll(differences(mounts(old), mounts(now), Comparison::mountChange));
            return changes;
        }

        /**
         * One change for each key whose value differs between {@code old} and {@code now}, the value null on the side
         * that lacks the key: {@code now}'s keys first, in its order, then those only {@code old} has.
         */
        private static <V> List<Change> differences(Map<String, V> old, Map<String, V> now, Difference<V> change) {
            var keys = new LinkedHashSet<>(now.keySet());
            keys.addAll(old.keySet());
            var changes = new ArrayList<Change>();
            for (String key : keys) {
                V was = old.get(key);
                V is = now.get(key);
                if (!Objects.equals(was, is)) {
                    changes.add(change.of(key, was, is));
                }
            }
            return changes;
        }

        @FunctionalInterface
        private interface Difference<V> {
            Change of(String key, V was, V is);
        }

        /** An environment variable set, unset or changed: a build argument's when either build had it as one. */
        private Change envChange(String name, String was, String is) {
            boolean arg =
                    now().buildArgs().containsKey(name) || last.buildArgs().containsKey(name);
            String what = (arg ? "build argument " : "environment variable ") + name;
            String message = was == null
                    ? what + " was set: " + quote(is)
                    : is == null
                            ? what + " was unset (was " + quote(was) + ")"
                            : what + " changed: " + quote(was) + " -> " + quote(is);
            var details = new LinkedHashMap<String, String>();
            details.put("name", name);
            if (was != null) {
                details.put("old", shorten(was));
            }
            if (is != null) {
                details.put("new", shorten(is));
            }
            return new Change(arg ? CacheMiss.REASON_BUILD_ARG : CacheMiss.REASON_ENV, message, details);
        }

        private static Change mountChange(String dest, Mount was, Mount is) {
            String message = was == null
                    ? "a mount at " + dest + " was added (" + describe(is) + ")"
                    : is == null
                            ? "its mount at " + dest + " was removed (" + describe(was) + ")"
                            : "its mount at " + dest + " changed: " + describe(was) + " -> " + describe(is);
            return new Change(CacheMiss.REASON_MOUNT, message, Map.of("dest", dest));
        }

        private BuildRecord now() {
            return now;
        }

        private static Map<String, String> env(List<String> entries) {
            var env = new LinkedHashMap<String, String>();
            for (String entry : entries) {
                int eq = entry.indexOf('=');
                env.put(eq < 0 ? entry : entry.substring(0, eq), eq < 0 ? "" : entry.substring(eq + 1));
            }
            return env;
        }

        /** The mounts by destination, without their inputs and outputs: those are the step's inputs. */
        private static Map<String, Mount> mounts(ExecOp exec) {
            var mounts = new LinkedHashMap<String, Mount>();
            for (Mount mount : exec.getMountsList()) {
                mounts.put(
                        mount.getDest(),
                        mount.toBuilder()
                                .clearInput()
                                .clearOutput()
                                .clearResultID()
                                .build());
            }
            return mounts;
        }

        /** A mount in the words of RUN --mount; a secret mount by its id only, never a value (the op has none). */
        private static String describe(Mount mount) {
            return switch (mount.getMountType()) {
                case CACHE ->
                    "type=cache,id=" + mount.getCacheOpt().getID() + ",sharing="
                            + mount.getCacheOpt().getSharing().name().toLowerCase(Locale.ROOT);
                case SECRET -> "type=secret,id=" + mount.getSecretOpt().getID();
                case SSH -> "type=ssh,id=" + mount.getSSHOpt().getID();
                case TMPFS -> "type=tmpfs,size=" + mount.getTmpfsOpt().getSize();
                default ->
                    "type=bind" + (mount.getSelector().isEmpty() ? "" : ",source=" + mount.getSelector())
                            + (mount.getReadonly() ? ",readonly" : ",rw");
            };
        }

        private static List<Change> sourceChanges(
                Op old, Op now, Map<String, String> oldNotes, Map<String, String> newNotes) {
            String was = old.getSource().getIdentifier();
            String is = now.getSource().getIdentifier();
            if (is.startsWith("docker-image://") && was.startsWith("docker-image://")) {
                String oldDigest = imageDigest(was, oldNotes);
                String newDigest = imageDigest(is, newNotes);
                if (!withoutDigest(was).equals(withoutDigest(is))) {
                    return List.of(new Change(
                            CacheMiss.REASON_BASE_IMAGE,
                            "the base image changed: "
                                    + withoutDigest(was).substring("docker-image://".length()) + " -> "
                                    + withoutDigest(is).substring("docker-image://".length()),
                            Map.of("old", was, "new", is)));
                }
                if (!oldDigest.equals(newDigest)) {
                    return List.of(new Change(
                            CacheMiss.REASON_BASE_IMAGE,
                            "the base image changed: " + oldDigest + " -> " + newDigest,
                            Map.of("old", oldDigest, "new", newDigest)));
                }
                return List.of();
            }
            if (is.startsWith("local://") && was.equals(is)) {
                return fileChanges(oldNotes, newNotes, List.of());
            }
            if (!was.equals(is)) {
                return List.of(new Change(
                        CacheMiss.REASON_DEFINITION,
                        "its source changed: " + quote(was) + " -> " + quote(is),
                        Map.of("old", shorten(was), "new", shorten(is))));
            }
            return List.of();
        }

        private static String imageDigest(String identifier, Map<String, String> notes) {
            int at = identifier.indexOf('@');
            if (at >= 0) {
                return identifier.substring(at + 1);
            }
            String noted = notes.getOrDefault(ImageSourceOperation.IMAGE_NOTE, "");
            int space = noted.indexOf(' ');
            return space < 0 ? noted : noted.substring(0, space);
        }

        private static String withoutDigest(String identifier) {
            int at = identifier.indexOf('@');
            return at < 0 ? identifier : identifier.substring(0, at);
        }

        /**
         * The files of a local source that differ between two builds' notes, under the selectors (all when none),
         * in path order; one "beyond what is recorded" cause when the notes were truncated and show no change.
         */
        private static List<Change> fileChanges(
                Map<String, String> old, Map<String, String> now, List<String> selectors) {
            var paths = new TreeSet<String>();
            for (String key : old.keySet()) {
                if (key.startsWith(LocalSourceOperation.FILE_NOTE)) {
                    paths.add(key.substring(LocalSourceOperation.FILE_NOTE.length()));
                }
            }
            for (String key : now.keySet()) {
                if (key.startsWith(LocalSourceOperation.FILE_NOTE)) {
                    paths.add(key.substring(LocalSourceOperation.FILE_NOTE.length()));
                }
            }
            var changes = new ArrayList<Change>();
            for (String path : paths) {
                if (!selected(path, selectors)) {
                    continue;
                }
                String was = old.get(LocalSourceOperation.FILE_NOTE + path);
                String is = now.get(LocalSourceOperation.FILE_NOTE + path);
                if (Objects.equals(was, is)) {
                    continue;
                }
                var details = new LinkedHashMap<String, String>();
                details.put("path", path);
                String message;
                if (was == null) {
                    message = "context file " + path + " was added";
                    details.put("new", firstWord(is));
                } else if (is == null) {
                    message = "context file " + path + " was removed";
                    details.put("old", firstWord(was));
                } else {
                    boolean sameContent = sameFirstWord(was, is);
                    String before = sameContent ? was : shortDigest(firstWord(was));
                    String after = sameContent ? is : shortDigest(firstWord(is));
                    message = "context file " + path + " changed (" + before + " -> " + after + ")";
                    details.put("old", sameContent ? was : firstWord(was));
                    details.put("new", sameContent ? is : firstWord(is));
                }
                changes.add(new Change(CacheMiss.REASON_CONTEXT_FILE, message, details));
            }
            String truncated =
                    now.getOrDefault(LocalSourceOperation.TRUNCATED_NOTE, old.get(LocalSourceOperation.TRUNCATED_NOTE));
            if (changes.isEmpty() && truncated != null) {
                changes.add(new Change(
                        CacheMiss.REASON_CONTEXT_FILE,
                        "context files changed beyond the first " + truncated + " paths that are recorded",
                        Map.of()));
            }
            return changes;
        }

        private static boolean selected(String path, List<String> selectors) {
            if (selectors.isEmpty()) {
                return true;
            }
            for (String selector : selectors) {
                String clean = selector.replaceAll("^/+|/+$", "");
                if (clean.isEmpty()
                        || clean.equals(".")
                        || clean.contains("*")
                        || clean.contains("?")
                        || clean.contains("[")
                        || path.equals(clean)
                        || path.startsWith(clean + "/")) {
                    return true;
                }
            }
            return false;
        }

        private static String firstWord(String entry) {
            int space = entry.indexOf(' ');
            return space < 0 ? entry : entry.substring(0, space);
        }

        private static boolean sameFirstWord(String a, String b) {
            return firstWord(a).equals(firstWord(b));
        }

        private static Op decode(BuildRecord.Step step) {
            if (step.op().isEmpty()) {
                return null;
            }
            try {
                return Op.parseFrom(Base64.getDecoder().decode(step.op()));
            } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
                return null;
            }
        }
    }

    /** {@code sha256:} and the first 12 hex digits, then an ellipsis. */
    static String shortDigest(String digest) {
        int colon = digest.indexOf(':');
        return digest.length() > colon + 13 ? digest.substring(0, colon + 13) + "…" : digest;
    }

    static String shorten(String value) {
        return value.length() <= SHORT_VALUE ? value : value.substring(0, SHORT_VALUE - 1) + "…";
    }

    /** A shortened value in double quotes, for a person (not JSON: a {@code >} stays as it is). */
    private static String quote(String value) {
        return "\"" + shorten(value).replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }
}
