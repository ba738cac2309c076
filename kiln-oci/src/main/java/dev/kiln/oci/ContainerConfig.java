package dev.kiln.oci;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * How a container of an image runs: the {@code config} object of an image config, with Docker's additions
 * (Healthcheck, OnBuild, Shell). Empty values mean "not set"; Go omits them when writing and so does Kiln.
 *
 * @param user the user (name or uid[:gid]) or ""
 * @param exposedPorts ports such as "80/tcp", sorted
 * @param env "NAME=value" entries in order
 * @param entrypoint the entrypoint argv
 * @param cmd the default arguments
 * @param volumes volume paths, sorted
 * @param workingDir the working directory or ""
 * @param labels labels, sorted by key
 * @param stopSignal the stop signal or ""
 * @param argsEscaped Windows-only flag Docker keeps
 * @param healthcheck the health check or null
 * @param onBuild ONBUILD triggers
 * @param shell the SHELL for shell-form commands
 * @param unknownFields fields Kiln does not model (Hostname, Domainname, ... in Docker-made configs), kept when the
 *     config is written again (read-only)
 */
public record ContainerConfig(
        String user,
        Set<String> exposedPorts,
        List<String> env,
        List<String> entrypoint,
        List<String> cmd,
        Set<String> volumes,
        String workingDir,
        Map<String, String> labels,
        String stopSignal,
        boolean argsEscaped,
        Healthcheck healthcheck,
        List<String> onBuild,
        List<String> shell,
        Map<String, JsonNode> unknownFields) {

    private static final Set<String> FIELDS = Set.of(
            "User",
            "ExposedPorts",
            "Env",
            "Entrypoint",
            "Cmd",
            "Volumes",
            "WorkingDir",
            "Labels",
            "StopSignal",
            "ArgsEscaped",
            "Healthcheck",
            "OnBuild",
            "Shell");

    public static final ContainerConfig EMPTY = new ContainerConfig(
            "", Set.of(), List.of(), List.of(), List.of(), Set.of(), "", Map.of(), "", false, null, List.of(),
            List.of(), Map.of());

    public ContainerConfig {
        user = user == null ? "" : user;
        exposedPorts = sorted(exposedPorts);
        env = env == null ? List.of() : List.copyOf(env);
        entrypoint = entrypoint == null ? List.of() : List.copyOf(entrypoint);
        cmd = cmd == null ? List.of() : List.copyOf(cmd);
        volumes = sorted(volumes);
        workingDir = workingDir == null ? "" : workingDir;
        labels = CanonicalJson.sortedMap(labels);
        stopSignal = stopSignal == null ? "" : stopSignal;
        onBuild = onBuild == null ? List.of() : List.copyOf(onBuild);
        shell = shell == null ? List.of() : List.copyOf(shell);
        unknownFields = UnknownFields.copy(unknownFields);
    }

    public ContainerConfig withUser(String value) {
        return with(draft -> draft.user = value);
    }

    public ContainerConfig withExposedPorts(Set<String> value) {
        return with(draft -> draft.exposedPorts = value);
    }

    public ContainerConfig withEnv(List<String> value) {
        return with(draft -> draft.env = value);
    }

    public ContainerConfig withEntrypoint(List<String> value) {
        return with(draft -> draft.entrypoint = value);
    }

    /**
     * This config with {@code name=value} in the environment: in place of the entry for {@code name} when there is
     * one, so that the order stays that of first definition (Docker's rule for ENV), else at the end.
     */
    public ContainerConfig withEnv(String name, String value) {
        List<String> changed = new ArrayList<>(env);
        String entry = name + "=" + value;
        for (int i = 0; i < changed.size(); i++) {
            String existing = changed.get(i);
            int eq = existing.indexOf('=');
            if ((eq < 0 ? existing : existing.substring(0, eq)).equals(name)) {
                changed.set(i, entry);
                return withEnv(changed);
            }
        }
        changed.add(entry);
        return withEnv(changed);
    }

    public ContainerConfig withCmd(List<String> value) {
        return with(draft -> draft.cmd = value);
    }

    public ContainerConfig withVolumes(Set<String> value) {
        return with(draft -> draft.volumes = value);
    }

    public ContainerConfig withWorkingDir(String value) {
        return with(draft -> draft.workingDir = value);
    }

    public ContainerConfig withLabels(Map<String, String> value) {
        return with(draft -> draft.labels = value);
    }

    public ContainerConfig withStopSignal(String value) {
        return with(draft -> draft.stopSignal = value);
    }

    public ContainerConfig withArgsEscaped(boolean value) {
        return with(draft -> draft.argsEscaped = value);
    }

    public ContainerConfig withHealthcheck(Healthcheck value) {
        return with(draft -> draft.healthcheck = value);
    }

    public ContainerConfig withOnBuild(List<String> value) {
        return with(draft -> draft.onBuild = value);
    }

    public ContainerConfig withShell(List<String> value) {
        return with(draft -> draft.shell = value);
    }

    ContainerConfig withoutUnknownFields() {
        return with(draft -> {
            draft.healthcheck = healthcheck == null ? null : healthcheck.withoutUnknownFields();
            draft.unknownFields = Map.of();
        });
    }

    /**
     * This config with a change: the withers name only what they change, the whole list stands in Draft alone, and
     * the copy goes through the canonical constructor, so its defaults and sorting apply to the copy too.
     */
    private ContainerConfig with(Consumer<Draft> change) {
        Draft draft = new Draft();
        change.accept(draft);
        return draft.config();
    }

    static ContainerConfig read(JsonFields fields) {
        JsonFields healthcheck = fields.object("Healthcheck");
        return new ContainerConfig(
                fields.string("User"),
                fields.keySet("ExposedPorts"),
                fields.strings("Env"),
                fields.strings("Entrypoint"),
                fields.strings("Cmd"),
                fields.keySet("Volumes"),
                fields.string("WorkingDir"),
                fields.stringMap("Labels"),
                fields.string("StopSignal"),
                fields.optionalBoolean("ArgsEscaped"),
                healthcheck == null ? null : Healthcheck.read(healthcheck),
                fields.strings("OnBuild"),
                fields.strings("Shell"),
                fields.unknown(FIELDS));
    }

    void write(JsonGenerator json) throws IOException {
        json.writeObjectFieldStart("config");
        CanonicalJson.string(json, "User", user);
        CanonicalJson.keySet(json, "ExposedPorts", exposedPorts);
        CanonicalJson.strings(json, "Env", env);
        CanonicalJson.strings(json, "Entrypoint", entrypoint);
        CanonicalJson.strings(json, "Cmd", cmd);
        CanonicalJson.keySet(json, "Volumes", volumes);
        CanonicalJson.string(json, "WorkingDir", workingDir);
        CanonicalJson.stringMap(json, "Labels", labels);
        CanonicalJson.string(json, "StopSignal", stopSignal);
        if (argsEscaped) {
            json.writeBooleanField("ArgsEscaped", true);
        }
        if (healthcheck != null) {
            healthcheck.write(json);
        }
        CanonicalJson.strings(json, "OnBuild", onBuild);
        CanonicalJson.strings(json, "Shell", shell);
        CanonicalJson.unknown(json, unknownFields);
        json.writeEndObject();
    }

    private static Set<String> sorted(Set<String> values) {
        return values == null ? Set.of() : Collections.unmodifiableSet(new TreeSet<>(values));
    }

    /** A config's values while some of them change. */
    private final class Draft {
        private String user = ContainerConfig.this.user;
        private Set<String> exposedPorts = ContainerConfig.this.exposedPorts;
        private List<String> env = ContainerConfig.this.env;
        private List<String> entrypoint = ContainerConfig.this.entrypoint;
        private List<String> cmd = ContainerConfig.this.cmd;
        private Set<String> volumes = ContainerConfig.this.volumes;
        private String workingDir = ContainerConfig.this.workingDir;
        private Map<String, String> labels = ContainerConfig.this.labels;
        private String stopSignal = ContainerConfig.this.stopSignal;
        private boolean argsEscaped = ContainerConfig.this.argsEscaped;
        private Healthcheck healthcheck = ContainerConfig.this.healthcheck;
        private List<String> onBuild = ContainerConfig.this.onBuild;
        private List<String> shell = ContainerConfig.this.shell;
        private Map<String, JsonNode> unknownFields = ContainerConfig.this.unknownFields;

        ContainerConfig config() {
            return new ContainerConfig(
                    user,
                    exposedPorts,
                    env,
                    entrypoint,
                    cmd,
                    volumes,
                    workingDir,
                    labels,
                    stopSignal,
                    argsEscaped,
                    healthcheck,
                    onBuild,
                    shell,
                    unknownFields);
        }
    }
}
