package dev.kiln.gateway.grpc;

import dev.kiln.api.gateway.ExecMessage;
import dev.kiln.api.gateway.InitMessage;
import dev.kiln.api.gateway.ReleaseContainerRequest;
import dev.kiln.gateway.ContainerProcess;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.Mount;
import dev.kiln.gateway.NewContainerRequest;
import dev.kiln.gateway.StartRequest;
import dev.kiln.llb.pb.Meta;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A container the engine made on NewContainer: its processes start through the client's {@link ExecStream}, each
 * named {@code CONTAINER:PROCESS} as Go's client names them, and Release frees it on the engine.
 */
final class BridgeContainer implements dev.kiln.gateway.Container {

    private final LlbBridgeClient client;
    private final String id;
    private final AtomicBoolean released = new AtomicBoolean();
    private final AtomicBoolean failedExit = new AtomicBoolean();

    private BridgeContainer(LlbBridgeClient client, String id) {
        this.client = client;
        this.id = id;
    }

    static BridgeContainer create(LlbBridgeClient client, NewContainerRequest request) throws InterruptedException {
        String id = newId();
        dev.kiln.api.gateway.NewContainerRequest.Builder out = dev.kiln.api.gateway.NewContainerRequest.newBuilder()
                .setContainerID(id)
                .setNetwork(request.netMode())
                .addAllExtraHosts(request.extraHosts());
        for (Mount mount : request.mounts()) {
            out.addMounts(
                    mount.toProto().setResultID(mount.ref() != null ? client.resultId(mount.ref()) : mount.resultId()));
        }
        if (request.platform() != null) {
            out.setPlatform(request.platform());
        }
        if (request.constraints() != null) {
            out.setConstraints(request.constraints());
        }
        LlbBridgeClient.call("create a container", () -> client.bridge().newContainer(out.build()));
        // the stream is opened now, as Go's client does, so that a first start does not wait for it
        client.exec();
        return new BridgeContainer(client, id);
    }

    static String newId() {
        byte[] bytes = new byte[16];
        ThreadLocalRandom.current().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    @Override
    public ContainerProcess start(StartRequest request) throws InterruptedException {
        if (released.get()) {
            throw new GatewayException("container " + id + " is released; start processes before releasing it");
        }
        ExecStream stream = client.exec();
        String pid = id + ":" + newId();
        BridgeProcess process = new BridgeProcess(stream, pid, request, () -> failedExit.set(true));
        InitMessage.Builder init = InitMessage.newBuilder()
                .setContainerID(id)
                .setMeta(Meta.newBuilder()
                        .addAllArgs(request.args())
                        .addAllEnv(request.env())
                        .setCwd(request.cwd())
                        .setUser(request.user()))
                .setTty(request.tty())
                .setSecurity(request.securityMode());
        // only the streams the caller gave: the engine sends nothing for the others, and waits for no input
        if (request.stdin() != null) {
            init.addFds(0);
        }
        if (request.stdout() != null) {
            init.addFds(1);
        }
        if (request.stderr() != null) {
            init.addFds(2);
        }
        stream.register(pid, process);
        try {
            stream.send(ExecMessage.newBuilder().setProcessID(pid).setInit(init).build());
            process.awaitStarted();
        } catch (GatewayException | InterruptedException e) {
            stream.deregister(pid);
            throw e;
        }
        process.pumpInput();
        return process;
    }

    /**
     * Releases the container on the engine. BuildKit answers a release with the error of the first of the container's
     * processes that failed (its "exit code: N"), which its caller has had from that process's wait already: that
     * answer is not a failure to release, so it is not thrown again.
     */
    @Override
    public void release() throws InterruptedException {
        if (released.getAndSet(true)) {
            return;
        }
        try {
            LlbBridgeClient.call(
                    "release container " + id,
                    () -> client.bridge()
                            .releaseContainer(ReleaseContainerRequest.newBuilder()
                                    .setContainerID(id)
                                    .build()));
        } catch (GatewayException e) {
            if (!failedExit.get()) {
                throw e;
            }
        }
    }

    @Override
    public String toString() {
        return "BridgeContainer[" + id + "]";
    }
}
