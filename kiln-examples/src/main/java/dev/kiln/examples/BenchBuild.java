package dev.kiln.examples;

import dev.kiln.gateway.BuildFunction;
import dev.kiln.gateway.Client;
import dev.kiln.gateway.Result;
import dev.kiln.gateway.SolveRequest;
import dev.kiln.llb.CopyOption;
import dev.kiln.llb.FileAction;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;

/**
 * The benchmark's build (bench/run.sh), the same steps as its Containerfile for Buildah:
 * <pre>
 * FROM scratch
 * COPY rootfs/ /                       (here: the local source "rootfs")
 * RUN mkdir -p /app &amp;&amp; ... > /app/deps.txt
 * COPY src/ /app/src/                  (here: the local source "context")
 * RUN cd /app &amp;&amp; ... > /app/report.txt
 * </pre>
 * The COPY comes between the two RUN steps so that a changed context file re-runs a container
 * in the incremental scenario, as a typical "install, copy sources, build" Dockerfile does.
 */
public final class BenchBuild implements BuildFunction {

    /** The graph; RUN steps keep the default network mode, as the Containerfile's do. */
    public static State graph() {
        State base = State.local("rootfs");
        State context = State.local("context");
        State deps = base.run(RunOption.sh("mkdir -p /app && echo \"deps for $(uname -m)\" > /app/deps.txt"))
                .root();
        // Dockerfile COPY's flags for "COPY src/ /app/src/", so both tools copy the same way
        State copied = deps.file(FileAction.copy(
                context,
                "/",
                "/app/src/",
                CopyOption.dirContentsOnly(),
                CopyOption.createDestPath(),
                CopyOption.followSymlinks(),
                CopyOption.allowWildcard(),
                CopyOption.allowEmptyWildcard()));
        return copied.run(RunOption.sh("cd /app && cat src/* | wc -c > /app/report.txt && ls src >> /app/report.txt"))
                .root();
    }

    @Override
    public Result build(Client client) throws Exception {
        return client.solve(SolveRequest.of(graph().marshal()));
    }
}
