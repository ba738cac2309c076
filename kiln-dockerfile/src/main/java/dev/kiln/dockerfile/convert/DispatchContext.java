package dev.kiln.dockerfile.convert;

import dev.kiln.core.Platform;
import dev.kiln.dockerfile.DockerfileException;
import dev.kiln.dockerfile.instructions.Instruction;
import dev.kiln.dockerfile.parser.SourceFile;
import dev.kiln.dockerfile.shell.EnvLookup;
import dev.kiln.dockerfile.shell.ShellException;
import dev.kiln.dockerfile.shell.ShellLex;
import dev.kiln.llb.OpOption;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.SourceLocation;
import dev.kiln.llb.SourceMap;
import dev.kiln.llb.SourceRange;
import dev.kiln.llb.State;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** What every instruction of a conversion shares: options, lexer, global ARGs, the build context, the stages. */
final class DispatchContext {

    /** Build args that never become environment variables. */
    static final List<String> NON_ENV_ARGS = List.of("BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE");

    final ConvertOptions options;
    final Linter lint;
    final ShellLex shlex;
    final Map<String, String> globalArgs;
    final SourceFile source;
    final SourceMap sourceMap;
    final State buildContext;
    final Platform targetPlatform;
    final StageRegistry stages;
    /** The proxy settings of every RUN; null when the build args set none. */
    final RunOption.Proxy proxyEnv;

    DispatchContext(
            ConvertOptions options,
            Linter lint,
            ShellLex shlex,
            Map<String, String> globalArgs,
            SourceFile source,
            SourceMap sourceMap,
            State buildContext,
            Platform targetPlatform,
            StageRegistry stages,
            RunOption.Proxy proxyEnv) {
        this.options = options;
        this.lint = lint;
        this.shlex = shlex;
        this.globalArgs = globalArgs;
        this.source = source;
        this.sourceMap = sourceMap;
        this.buildContext = buildContext;
        this.targetPlatform = targetPlatform;
        this.stages = stages;
        this.proxyEnv = proxyEnv;
    }

    /** The op option pointing at an instruction's lines, one range per line as BuildKit records it. */
    SourceLocation location(Instruction.Origin origin) {
        return location(origin.startLine(), origin.endLine());
    }

    SourceLocation location(int start, int end) {
        List<SourceRange> ranges = new ArrayList<>();
        for (int line = start; line <= Math.max(start, end); line++) {
            ranges.add(new SourceRange(line, 0, line, 0));
        }
        return sourceMap.location(ranges.toArray(SourceRange[]::new));
    }

    DockerfileException fail(Instruction.Origin origin, String reason) {
        return source.error(origin.startLine(), origin.endLine(), reason);
    }

    static EnvLookup env(State state) {
        return EnvLookup.of(state.getEnvMap());
    }

    /** The description BuildKit gives every op an instruction makes: the instruction's text. */
    static OpOption dockerfileCommand(String code) {
        return OpOption.description(Map.of("com.docker.dockerfile.v1.command", code));
    }

    /** The instruction text with its variables replaced, for progress names; as written if it does not expand. */
    static String processCmdEnv(ShellLex lex, String command, EnvLookup env) {
        try {
            return lex.processWord(command, env).result();
        } catch (ShellException e) {
            return command;
        }
    }

    static String uppercaseCmd(String text) {
        int space = text.indexOf(' ');
        return space < 0
                ? text.toUpperCase(Locale.ROOT)
                : text.substring(0, space).toUpperCase(Locale.ROOT) + text.substring(space);
    }

    /**
     * The progress name of an op: "[stage 2/5] RUN make", numbered within the stage; ops of a stage without
     * counted steps keep their bare name.
     */
    String prefixCommand(StageState stage, String text, Platform platform, EnvLookup env) {
        if (stage.cmdTotal == 0) {
            return text;
        }
        StringBuilder out = new StringBuilder("[");
        if (options.multiPlatform() && platform != null) {
            out.append(Platforms.format(platform))
                    .append(crossTarget(platform, env))
                    .append(' ');
        }
        if (!stage.stageName.isEmpty()) {
            out.append(stage.stageName).append(' ');
        }
        stage.cmdIndex++;
        int width = 1 + (int) Math.floor(Math.log10(stage.cmdTotal));
        out.append(String.format("%" + width + "d/%d] ", stage.cmdIndex, stage.cmdTotal));
        if (stage.cmdIsOnBuild) {
            out.append("ONBUILD ");
        }
        return out.append(text).toString();
    }

    /** "->arm64" when the stage's TARGET* args name another platform than the one it runs on. */
    private static String crossTarget(Platform base, EnvLookup env) {
        String os = env.get("TARGETOS").orElse(null);
        String arch = env.get("TARGETARCH").orElse(null);
        String variant = env.get("TARGETVARIANT").orElse("");
        Platform target = null;
        String full = env.get("TARGETPLATFORM").orElse(null);
        if (full != null) {
            try {
                target = Platforms.parse(full, base);
            } catch (IllegalArgumentException e) {
                target = null;
            }
        }
        if (target == null && (os != null || arch != null)) {
            target = Platform.of(
                            os == null || os.isEmpty() ? base.os() : os,
                            arch == null || arch.isEmpty() ? base.architecture() : arch,
                            variant)
                    .normalize();
        }
        if (target == null) {
            return "";
        }
        if (target.os().equals(base.os()) && !target.architecture().equals(base.architecture())) {
            return "->" + target.architecture() + (target.variant().isEmpty() ? "" : "/" + target.variant());
        }
        if (!target.os().equals(base.os())) {
            return "->" + Platforms.format(target);
        }
        return "";
    }
}
