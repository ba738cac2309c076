package dev.kiln.gateway;

import dev.kiln.llb.pb.SecurityMode;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * A process to start in a container. Null streams mean: no input, output discarded.
 *
 * @param tty run the process on a pseudo-terminal; stdout then carries both output streams
 */
public record StartRequest(
        List<String> args,
        List<String> env,
        String user,
        String cwd,
        boolean tty,
        InputStream stdin,
        OutputStream stdout,
        OutputStream stderr,
        SecurityMode securityMode) {

    public StartRequest {
        args = List.copyOf(args);
        if (args.isEmpty()) {
            throw new IllegalArgumentException("a process needs at least one argument");
        }
        env = List.copyOf(env == null ? List.of() : env);
        user = user == null ? "" : user;
        cwd = cwd == null ? "" : cwd;
        securityMode = securityMode == null ? SecurityMode.SANDBOX : securityMode;
    }

    public static StartRequest of(List<String> args, OutputStream stdout, OutputStream stderr) {
        return new StartRequest(args, List.of(), "", "/", false, null, stdout, stderr, SecurityMode.SANDBOX);
    }

    /**
     * The process settings a shell opened in {@code step}'s result runs with ({@link #inStep}): a RUN step's own,
     * else only the default PATH, as any other step has no process of its own.
     */
    public static dev.kiln.llb.pb.ExecOp settingsOf(dev.kiln.llb.LlbVertex step) {
        return step.kind() == dev.kiln.llb.OpKind.EXEC
                ? step.op().getExec()
                : dev.kiln.llb.pb.ExecOp.newBuilder()
                        .setMeta(dev.kiln.llb.pb.Meta.newBuilder()
                                .addEnv("PATH=" + dev.kiln.core.Platform.DEFAULT_UNIX_PATH))
                        .build();
    }

    /**
     * {@code args} with a step's process settings (its environment, user, working directory and security), as a
     * debugger starts a shell in the container of a RUN step.
     */
    public static StartRequest inStep(
            dev.kiln.llb.pb.ExecOp step,
            List<String> args,
            boolean tty,
            InputStream stdin,
            OutputStream stdout,
            OutputStream stderr) {
        dev.kiln.llb.pb.Meta meta = step.getMeta();
        return new StartRequest(
                args,
                meta.getEnvList(),
                meta.getUser(),
                meta.getCwd().isEmpty() ? "/" : meta.getCwd(),
                tty,
                stdin,
                stdout,
                stderr,
                step.getSecurity());
    }
}
