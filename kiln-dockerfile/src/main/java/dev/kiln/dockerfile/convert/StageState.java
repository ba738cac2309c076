package dev.kiln.dockerfile.convert;

import dev.kiln.dockerfile.instructions.Instruction;
import dev.kiln.dockerfile.instructions.Stage;
import dev.kiln.llb.Platform;
import dev.kiln.llb.State;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

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
    ImageConfig image = new ImageConfig();
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
        image = base.image.copy();
        image.onBuild = null;
        baseImage = base.baseImage == null ? null : base.baseImage.copy();
        paths = base.paths;
        workdirSet = base.workdirSet;
        buildArgs.clear();
        buildArgs.addAll(base.buildArgs);
    }

    @Override
    public String toString() {
        return "stage " + (stageName.isEmpty() ? baseName : stageName);
    }
}
