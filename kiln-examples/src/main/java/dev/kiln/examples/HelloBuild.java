package dev.kiln.examples;

import dev.kiln.gateway.BuildFunction;
import dev.kiln.gateway.Client;
import dev.kiln.gateway.ReadRequest;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.Result;
import dev.kiln.gateway.SolveRequest;
import dev.kiln.llb.FileAction;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import java.nio.charset.StandardCharsets;

/**
 * A build written in Java: on a busybox root ({@code --local rootfs=DIR}), two independent RUN
 * steps (which Kiln runs in parallel), merged, then the build context's {@code message.txt}
 * copied in and a report written by a last RUN step.
 */
public final class HelloBuild implements BuildFunction {

    /** The graph, also usable without a frontend: see {@link HelloDefinition}. */
    public static State graph() {
        State base = State.local("rootfs");
        State context = State.local("context");
        State tools = base.run(RunOption.sh("mkdir -p /out && echo \"kernel: $(uname -s)\" > /out/system.txt"))
                .root();
        State users = base.run(RunOption.sh("mkdir -p /out && cut -d: -f1 /etc/passwd > /out/users.txt"))
                .root();
        State both = State.merge(java.util.List.of(tools, users));
        return both.file(FileAction.copy(context, "message.txt", "/out/message.txt"))
                .run(RunOption.sh("cd /out && wc -l *.txt > /out/report.txt"))
                .root();
    }

    @Override
    public Result build(Client client) throws Exception {
        Result result = client.solve(SolveRequest.of(graph().marshal()).withEvaluate(true));
        Reference ref = result.ref().orElseThrow();
        // Read back through the gateway, as a frontend that inspects its own output would.
        String report = new String(ref.readFile(ReadRequest.of("/out/report.txt")), StandardCharsets.UTF_8);
        System.err.print("report:\n" + report);
        return result;
    }
}
