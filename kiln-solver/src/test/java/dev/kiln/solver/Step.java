package dev.kiln.solver;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** A test operation: text in, text out, counting how often it is keyed and run. */
final class Step implements Operation {

    @FunctionalInterface
    interface Body {
        String run(OperationContext ctx, List<String> inputs) throws Exception;
    }

    private final FileResults results;
    private final List<InputKey> inputKeys;
    private final Body body;
    /** The op's own key material; a test changes it as a local source's content would change. */
    volatile String keyMaterial;

    final AtomicInteger keyings = new AtomicInteger();
    final AtomicInteger execs = new AtomicInteger();

    Step(FileResults results, String keyMaterial, List<InputKey> inputKeys, Body body) {
        this.results = results;
        this.keyMaterial = keyMaterial;
        this.inputKeys = inputKeys;
        this.body = body;
    }

    @Override
    public CacheMap cacheMap(OperationContext ctx) {
        keyings.incrementAndGet();
        return new CacheMap(keyMaterial, inputKeys);
    }

    @Override
    public List<Result> exec(OperationContext ctx, List<Result> inputs) throws Exception {
        execs.incrementAndGet();
        List<String> contents = inputs.stream().map(results::read).toList();
        return List.of(results.put(body.run(ctx, contents)));
    }
}
