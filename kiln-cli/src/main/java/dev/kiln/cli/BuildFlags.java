package dev.kiln.cli;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;

/**
 * The flags of {@code kiln build} as picocli reads them, grouped as docker build's help groups
 * them. Values stay as the user typed them here; {@link BuildCommand#parse} checks and converts them
 * into an {@link BuildCommand.Invocation}, so every error names the flag at fault.
 */
@Command(name = "kiln build", sortOptions = false, usageHelpWidth = 118, abbreviateSynopsis = true,
        description = {"Builds a Dockerfile (docker build's form: kiln build [options] CONTEXT), a frontend "
                + "(buildctl's form: --frontend NAME --local NAME=DIR --opt KEY=VALUE) or an LLB definition read "
                + "from stdin or --definition, and exports the result. With no --output, every step is still built "
                + "and the result is kept only in the cache."},
        footer = {"", "Exit status: 0 built, 1 the build failed, 2 the command line was wrong."})
final class BuildFlags {

    @Parameters(arity = "0..1", paramLabel = "CONTEXT", description = "the build context directory (docker build's form)")
    String context;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "print this help")
    boolean help;

    @ArgGroup(validate = false, order = 1, heading = "%nWhat to build:%n")
    Definition definition = new Definition();

    @ArgGroup(validate = false, order = 2, heading = "%nCache and base images:%n")
    Cache cache = new Cache();

    @ArgGroup(validate = false, order = 3, heading = "%nOutputs:%n")
    Outputs outputs = new Outputs();

    @ArgGroup(validate = false, order = 4, heading = "%nRUN steps:%n")
    Run run = new Run();

    @ArgGroup(validate = false, order = 5, heading = "%nbuildctl's form:%n")
    Buildctl buildctl = new Buildctl();

    @ArgGroup(validate = false, order = 6, heading = "%nEngine and registries:%n")
    Engine engine = new Engine();

    static final class Definition {
        @Option(names = {"-f", "--file"}, paramLabel = "PATH", description = "the Dockerfile (default: CONTEXT/Dockerfile)")
        String file;

        @Option(names = "--target", paramLabel = "STAGE", description = "the stage to build")
        String target;

        @Option(names = "--build-arg", paramLabel = "KEY=VALUE", description = "a build argument")
        List<String> buildArgs = new ArrayList<>();

        @Option(names = "--build-context", paramLabel = "NAME=SOURCE",
                description = "a named context for FROM and COPY --from: a DIR, docker-image://REF or "
                        + "oci-layout:///DIR@DIGEST")
        List<String> buildContexts = new ArrayList<>();

        @Option(names = "--platform", paramLabel = "PLATFORM",
                description = "the platform to build for, as os/arch[/variant] (default: this machine's)")
        String platform;

        @Option(names = "--label", paramLabel = "KEY=VALUE", description = "a label of the image")
        List<String> labels = new ArrayList<>();
    }

    static final class Cache {
        @Option(names = "--no-cache", description = "run every step again, ignoring the cache")
        boolean noCache;

        @Option(names = "--no-cache-filter", paramLabel = "STAGE", split = ",",
                description = "run the steps of these stages again, ignoring the cache")
        List<String> noCacheFilter = new ArrayList<>();

        @Option(names = "--pull", description = "ask the registry for each base image even when one is stored here")
        boolean pull;
    }

    static final class Outputs {
        @Option(names = {"-o", "--output"}, paramLabel = "SPEC",
                description = {"where the result goes:",
                        "  type=local,dest=DIR | type=tar,dest=FILE|-",
                        "  type=image,name=REF[,push=true] | type=registry,name=REF",
                        "  type=oci,dest=FILE|-[,name=REF] | type=docker,dest=FILE|-[,name=REF]",
                        "image attributes: compression=gzip|zstd|uncompressed, compression-level=N, "
                                + "force-compression=BOOL, oci-mediatypes=BOOL, source-date-epoch=SECONDS, "
                                + "registry.insecure=BOOL, annotation.KEY=VALUE"})
        List<String> outputs = new ArrayList<>();

        @Option(names = {"-t", "--tag"}, paramLabel = "NAME",
                description = "name the image; without --output the image is kept here under its names")
        List<String> tags = new ArrayList<>();

        @Option(names = "--push", description = "push the image to its names' registries")
        boolean push;

        @Option(names = "--annotation", paramLabel = "[manifest:]KEY=VALUE",
                description = "an annotation of the image's manifest")
        List<String> annotations = new ArrayList<>();

        @Option(names = "--iidfile", paramLabel = "FILE", description = "write the image ID (its config's digest) to FILE")
        String iidFile;

        @Option(names = "--metadata-file", paramLabel = "FILE", description = "write the build's result facts as JSON")
        String metadataFile;

        @Option(names = {"-q", "--quiet"}, description = "print nothing but the image ID on success")
        boolean quiet;

        @Option(names = "--progress", paramLabel = "MODE",
                description = "auto (tty on a terminal, else plain), tty, plain, rawjson or quiet")
        String progress = "auto";
    }

    static final class Run {
        @Option(names = "--network", paramLabel = "MODE", description = "default, none or host (host grants network.host itself, as in buildx)")
        String network;

        @Option(names = "--add-host", paramLabel = "HOST:IP", description = "a line of /etc/hosts in RUN steps")
        List<String> addHosts = new ArrayList<>();

        @Option(names = "--shm-size", paramLabel = "SIZE", description = "the size of /dev/shm in RUN steps (e.g. 128m)")
        String shmSize;

        @Option(names = "--ulimit", paramLabel = "NAME=SOFT[:HARD]", description = "a resource limit of RUN steps")
        List<String> ulimits = new ArrayList<>();

        @Option(names = "--allow", paramLabel = "ENTITLEMENT", split = ",",
                description = "let steps use network.host (RUN --network=host) or security.insecure "
                        + "(RUN --security=insecure)")
        List<String> allow = new ArrayList<>();

        @Option(names = "--secret", paramLabel = "id=ID,src=FILE|env=VAR",
                description = "a secret for RUN --mount=type=secret")
        List<String> secrets = new ArrayList<>();

        @Option(names = "--ssh", paramLabel = "ID[=SOCKET]",
                description = "an SSH agent for RUN --mount=type=ssh (default: $SSH_AUTH_SOCK)")
        List<String> ssh = new ArrayList<>();

        @Option(names = "--on-error", paramLabel = "MODE",
                description = "fail (default), or shell: open a shell in a failed RUN step's container")
        String onError = "fail";
    }

    static final class Buildctl {
        @Option(names = "--frontend", paramLabel = "NAME",
                description = "the frontend: dockerfile.v0, or java:CLASS for a BuildFunction class")
        String frontend;

        @Option(names = "--frontend-classpath", paramLabel = "PATH", split = ":",
                description = "jars or directories (':'-separated) to load java: frontends from")
        List<String> frontendClasspath = new ArrayList<>();

        @Option(names = "--definition", paramLabel = "FILE",
                description = "a marshalled LLB definition to build (- or none: read stdin)")
        String definition;

        @Option(names = "--local", paramLabel = "NAME=DIR", description = "a local directory the build reads as local://NAME")
        List<String> locals = new ArrayList<>();

        @Option(names = "--opt", paramLabel = "KEY=VALUE", description = "a frontend option")
        List<String> opts = new ArrayList<>();

        @Option(names = "--oci-layout", paramLabel = "NAME=DIR",
                description = "an OCI image layout the build may read as oci-layout://NAME@DIGEST")
        List<String> ociLayouts = new ArrayList<>();
    }

    static final class Engine {
        @Option(names = "--state", paramLabel = "DIR",
                description = "the engine's state directory (default: $KILN_STATE, /var/lib/kiln for root)")
        String state;

        @Option(names = "--state-timeout", paramLabel = "DURATION",
                description = "how long to wait for another kiln using the state (default: 30m; 0: fail at once)")
        String stateTimeout;

        @Option(names = "--runtime", paramLabel = "NAME", description = "auto, runc, crun, or a path to an OCI runtime")
        String runtime = "auto";

        @Option(names = "--insecure-registry", paramLabel = "HOST",
                description = "pull from and push to HOST over plain HTTP (loopback always is)")
        List<String> insecureRegistries = new ArrayList<>();
    }
}
