package dev.kiln.gateway.grpc;

import dev.kiln.api.gateway.EvaluateRequest;
import dev.kiln.api.gateway.FileRange;
import dev.kiln.api.gateway.LLBBridgeGrpc;
import dev.kiln.api.gateway.ReadDirRequest;
import dev.kiln.api.gateway.ReadFileRequest;
import dev.kiln.api.gateway.StatFileRequest;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.ReadRequest;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.Stat;
import dev.kiln.gateway.StatRequest;
import dev.kiln.llb.State;
import dev.kiln.llb.pb.Definition;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A result that lives on the engine, named by the id the engine gave it; reads go to the engine by that id. The
 * definition, when the engine sent it (capability reference.output), is what {@link #toState()} builds on.
 *
 * @param definition null when the engine did not send the reference's LLB
 */
record BridgeReference(LlbBridgeClient client, String id, Definition definition) implements Reference {

    @Override
    public State toState() {
        client.caps().require("reference.output");
        if (definition == null) {
            throw new GatewayException("the engine returned reference " + id + " without its definition, "
                    + "so it cannot be built on; solve its LLB instead");
        }
        return State.fromDefinition(definition);
    }

    @Override
    public void evaluate() throws InterruptedException {
        if (!client.caps().supports("gateway.evaluate")) {
            // what Go's client does for an engine without Evaluate: reading a file computes the result
            statFile(new StatRequest("."));
            return;
        }
        try {
            LlbBridgeClient.call(
                    "evaluate",
                    () -> client.bridge()
                            .evaluate(EvaluateRequest.newBuilder().setRef(id).build()));
        } catch (GatewayException e) {
            throw client.withFailedStep(e);
        }
    }

    @Override
    public byte[] readFile(ReadRequest request) throws InterruptedException {
        ReadFileRequest.Builder out = ReadFileRequest.newBuilder().setRef(id).setFilePath(request.filename());
        if (request.range() != null) {
            out.setRange(FileRange.newBuilder()
                    .setOffset(request.range().offset())
                    .setLength(request.range().length()));
        }
        return read("readfile", "read " + request.filename(), bridge -> bridge.readFile(out.build()))
                .getData()
                .toByteArray();
    }

    @Override
    public Stat statFile(StatRequest request) throws InterruptedException {
        var response = read(
                "statfile",
                "stat " + request.path(),
                bridge -> bridge.statFile(StatFileRequest.newBuilder()
                        .setRef(id)
                        .setPath(request.path())
                        .build()));
        return stat(response.getStat());
    }

    @Override
    public List<Stat> readDir(dev.kiln.gateway.ReadDirRequest request) throws InterruptedException {
        var response = read(
                "readdir",
                "read directory " + request.path(),
                bridge -> bridge.readDir(ReadDirRequest.newBuilder()
                        .setRef(id)
                        .setDirPath(request.path())
                        .setIncludePattern(request.includePattern())
                        .build()));
        List<Stat> entries = new ArrayList<>();
        response.getEntriesList().forEach(entry -> entries.add(stat(entry)));
        return entries;
    }

    /** A read of this reference's files, which the engine serves with capability {@code cap}; {@code what} names it. */
    private <T> T read(String cap, String what, Function<LLBBridgeGrpc.LLBBridgeBlockingStub, T> rpc)
            throws InterruptedException {
        client.caps().require(cap);
        return LlbBridgeClient.call(what, () -> rpc.apply(client.bridge()));
    }

    private static Stat stat(dev.kiln.api.fsutil.Stat in) {
        Map<String, byte[]> xattrs = new LinkedHashMap<>();
        in.getXattrsMap().forEach((name, value) -> xattrs.put(name, value.toByteArray()));
        return new Stat(
                in.getPath(),
                in.getMode(),
                in.getUid(),
                in.getGid(),
                in.getSize(),
                in.getModTime(),
                in.getLinkname(),
                in.getDevmajor(),
                in.getDevminor(),
                xattrs);
    }

    @Override
    public String toString() {
        return "BridgeReference[" + id + "]";
    }
}
