package dev.kiln.dockerfile.convert;

import dev.kiln.core.ImageReference;
import dev.kiln.core.Platform;
import dev.kiln.dockerfile.DockerfileException;
import dev.kiln.dockerfile.instructions.Suggestions;
import dev.kiln.dockerfile.shell.EnvLookup;
import dev.kiln.llb.ImageOption;
import dev.kiln.llb.OpOption;
import dev.kiln.llb.State;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.OciFormatException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finds what a stage starts from when it is not another stage: a named context given for its name or its
 * base, or an image whose config the registry provides. The config sets the stage's environment, user,
 * working directory, command and ONBUILD triggers.
 */
final class BaseResolution {

    private static final List<String> COMMON_IMAGES =
            List.of("alpine", "busybox", "centos", "debian", "golang", "ubuntu", "fedora");

    private BaseResolution() {}

    static void resolve(Conversion conversion, StageState d, boolean reachable) throws InterruptedException {
        try {
            resolveBase(conversion, d, reachable);
        } finally {
            if (d.unregistered) {
                d.dispatched = true;
            }
        }
    }

    private static void resolveBase(Conversion c, StageState d, boolean reachable) throws InterruptedException {
        DispatchContext ctx = c.context();
        String original = d.baseName;
        ImageReference ref;
        try {
            ref = ImageReference.parseNormalized(d.baseName);
        } catch (IllegalArgumentException e) {
            throw c.fail(d.from.origin(), "failed to parse stage name \"" + d.baseName + "\": " + e.getMessage());
        }
        Platform platform = d.platform != null ? d.platform : ctx.targetPlatform;
        d.baseName = ref.withDefaultTag().toString();
        boolean noLayers = false;
        if (reachable) {
            if (d.namedContext != null) {
                ConvertSources.Loaded loaded = load(c, d, d.namedContext);
                d.dispatched = true;
                d.state = loaded.state();
                if (loaded.image() != null) {
                    d.image = loaded.image().withCreated(null);
                    if (!d.image.architecture().isEmpty() && !d.image.os().isEmpty()) {
                        d.platform = d.image.platform().normalize();
                    }
                }
                return;
            }
            Optional<ConvertSources.NamedContext> named = c.sources().namedContext(familiar(ref), platform);
            if (named.isPresent()) {
                ConvertSources.Loaded loaded = load(c, d, named.get());
                ImageConfig image = loaded.image() != null ? loaded.image() : StageConfigs.scratch(platform);
                d.baseImage = image;
                d.image = image.withCreated(null);
                d.state = loaded.state().platform(platform);
                d.platform = platform;
                return;
            }
            ConvertSources.ResolvedImage resolved;
            try {
                resolved = c.sources()
                        .resolveImageConfig(d.baseName, platform, "[internal] load metadata for " + d.baseName);
            } catch (DockerfileException e) {
                throw e;
            } catch (RuntimeException e) {
                List<String> options = new ArrayList<>(ctx.stages.names());
                COMMON_IMAGES.forEach(name -> {
                    options.add(name);
                    options.add(name + ":latest");
                });
                throw c.fail(
                        d.from.origin(), Suggestions.wrap(original + ": " + e.getMessage(), original, options, true));
            }
            if (!resolved.reference().isEmpty() && !resolved.reference().equals(ref.toString())) {
                try {
                    ref = ImageReference.parseNormalized(resolved.reference());
                } catch (IllegalArgumentException e) {
                    throw c.fail(
                            d.from.origin(), "failed to parse ref \"" + resolved.reference() + "\": " + e.getMessage());
                }
            }
            ImageConfig image;
            try {
                image = StageConfigs.parse(resolved.config(), "image config");
            } catch (OciFormatException e) {
                throw c.fail(d.from.origin(), "failed to parse " + e.getMessage());
            }
            d.baseImage = image;
            image = image.withCreated(null);
            if (d.platform == null && c.implicitTarget()) {
                platform = autoDetect(image, platform, ctx.options.buildPlatforms());
            }
            ImageReference pinned = ref.withDefaultTag();
            if (!resolved.digest().isEmpty()) {
                pinned = new ImageReference(pinned.domain(), pinned.path(), pinned.tag(), resolved.digest());
            }
            d.baseName = pinned.toString();
            noLayers = StageConfigs.hasNoLayers(image);
            d.image = image;
        }
        if (noLayers) {
            d.state = State.scratch();
        } else {
            List<ImageOption> options = new ArrayList<>();
            options.add(OpOption.platform(platform));
            if (ctx.options.resolveMode() != ImageOption.ResolveMode.DEFAULT) {
                options.add(ctx.options.resolveMode());
            }
            options.add(OpOption.customName(ctx.prefixCommand(d, "FROM " + d.baseName, platform, EnvLookup.EMPTY)));
            options.add(ctx.location(d.from.origin()));
            options.add(DispatchContext.dockerfileCommand(d.from.origin().code()));
            d.state = State.image(d.baseName, options.toArray(ImageOption[]::new));
            if (reachable
                    && (!platform.os().equals(d.image.os())
                            || !platform.architecture().equals(d.image.architecture()))
                    && !d.image.os().isEmpty()) {
                Platform actual = Platform.of(d.image.os(), d.image.architecture(), d.image.variant())
                        .normalize();
                ctx.lint.run(
                        LintRule.INVALID_BASE_IMAGE_PLATFORM,
                        d.from.origin().startLine(),
                        d.from.origin().endLine(),
                        "Base image " + original + " was pulled with platform \"" + Platforms.format(actual)
                                + "\", expected \"" + Platforms.format(platform) + "\" for current build");
            }
        }
        d.platform = platform;
    }

    private static ConvertSources.Loaded load(Conversion c, StageState d, ConvertSources.NamedContext context)
            throws InterruptedException {
        try {
            return context.load();
        } catch (DockerfileException e) {
            throw e;
        } catch (RuntimeException e) {
            throw c.fail(d.from.origin(), e.getMessage());
        }
    }

    /** An image built for another platform than asked is used with its own platform if a worker runs it. */
    private static Platform autoDetect(ImageConfig image, Platform target, List<Platform> supported) {
        if (target.os().equals(image.os()) && target.architecture().equals(image.architecture())) {
            return target;
        }
        for (Platform p : supported) {
            if (p.os().equals(image.os()) && p.architecture().equals(image.architecture())) {
                return p;
            }
        }
        return target;
    }

    /** A reference as Docker shows it: "busybox" for docker.io/library/busybox:latest, ":latest" dropped. */
    static String familiar(ImageReference ref) {
        String name = ref.name();
        if (ref.domain().equals("docker.io")) {
            name = ref.path();
            if (name.startsWith("library/") && name.indexOf('/', "library/".length()) < 0) {
                name = name.substring("library/".length());
            }
        }
        String text = name
                + (ref.tag().isEmpty() ? "" : ":" + ref.tag())
                + (ref.digest().isEmpty() ? "" : "@" + ref.digest());
        return text.endsWith(":latest") ? text.substring(0, text.length() - ":latest".length()) : text;
    }
}
