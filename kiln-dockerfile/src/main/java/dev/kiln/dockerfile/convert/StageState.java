package dev.kiln.dockerfile.convert;

import dev.kiln.core.Platform;
import dev.kiln.dockerfile.instructions.Instruction;
import dev.kiln.dockerfile.instructions.Stage;
import dev.kiln.llb.State;
import dev.kiln.oci.ContainerConfig;
import dev.kiln.oci.ImageConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * A stage while it is converted (equality is identity: two stages are never the same stage): its LLB state and image config so far, where it comes from, and what it
 * depends on. Images named by COPY --from or RUN --mount from= that are not stages get one too
 * ("unregistered"), so that every source of a build is resolved the same way.
 */
final class StageState {

    /** An instruction of the stage with the stages it reads from (COPY --from, RUN --mount from=). */
    record Command(Instruction instruction, List<StageState> sources, boolean onBuild) {
        Command {
            sources = new ArrayList<>(sources);
        }
    }

    /** Where CMD, ENTRYPOINT or HEALTHCHECK was last set in this stage, to warn when one is set twice. */
    static final class UseTracker {
        Instruction.Origin origin;
    }

    final Stage stage;
    final Instruction.From from;
    String baseName;
    String stageName;
    final boolean unregistered;

    State state = State.scratch();
    ImageConfig image = StageConfigs.BLANK;
    ImageConfig baseImage;
    Platform platform;
    StageState base;
    ConvertSources.NamedContext namedContext;
    boolean dispatched;
    boolean resolved;
    boolean onBuildInit;
    boolean ignoreCache;
    boolean workdirSet;

    final Map<StageState, Instruction> deps = new LinkedHashMap<>();
    final List<Instruction.ArgDef> buildArgs = new ArrayList<>();
    List<Command> commands = new ArrayList<>();
    final Set<String> ctxPaths = new TreeSet<>();
    /** What the stage takes from the caller, for its {@link Outline}: global ARGs its FROM uses, ... */
    final Set<String> usedGlobalArgs = new LinkedHashSet<>();
    /** ... the ARGs it declares itself (not those that only take a global ARG's value), ... */
    final Map<String, Outline.Arg> declaredArgs = new LinkedHashMap<>();
    /** ... and the secrets and SSH sockets its RUNs mount, by id, where first mounted. */
    final Map<String, Outline.ClientMount> secrets = new LinkedHashMap<>();

    final Map<String, Outline.ClientMount> sshSockets = new LinkedHashMap<>();
    Set<String> paths = new TreeSet<>();

    int cmdIndex;
    int cmdTotal;
    boolean cmdIsOnBuild;

    final UseTracker cmd = new UseTracker();
    final UseTracker entrypoint = new UseTracker();
    final UseTracker healthcheck = new UseTracker();

    StageState(Stage stage, String baseName) {
        this.stage = stage;
        this.from = stage.from();
        this.baseName = baseName;
        this.stageName = stage.name();
        this.unregistered = false;
    }

    /** A stage for an image or context used only by COPY --from or RUN --mount from=. */
    StageState(String baseName, Instruction.Origin usedAt) {
        this.stage = null;
        this.from = new Instruction.From(usedAt, baseName, "", "", "", "");
        this.baseName = baseName;
        this.stageName = "";
        this.unregistered = true;
    }

    /** The name stages are looked up by: the name after AS, lower-cased. */
    String name() {
        return stage == null ? "" : stage.name();
    }

    /** A derived stage starts where its base stage ended (but its ONBUILD triggers are the base's to run). */
    void inheritFromBase() {
        if (base == null) {
            return;
        }
        state = base.state;
        platform = base.platform;
        image = base.image.withConfig(base.image.config().withOnBuild(List.of()));
        baseImage = base.baseImage;
        paths = base.paths;
        workdirSet = base.workdirSet;
        buildArgs.clear();
        buildArgs.addAll(base.buildArgs);
    }

    /** Changes how containers of the stage's image run (env, user, command, ...). */
    void changeConfig(UnaryOperator<ContainerConfig> change) {
        image = image.withConfig(change.apply(image.config()));
    }

    /** Adds the history entry of an instruction to the stage's image. */
    void commit(String createdBy, boolean withLayer) {
        image = image.withStep(StageConfigs.step(createdBy, withLayer));
    }

    @Override
    public String toString() {
        return "stage " + (stageName.isEmpty() ? baseName : stageName);
    }
}
