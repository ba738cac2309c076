package dev.kiln.daemon;

import io.grpc.Status;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The forwarded builds running now, by their ref, where the LLBBridge service finds the build a call's
 * {@code buildkit-controlapi-buildid} header names. The client sends its Control.Solve and its first bridge call at
 * the same time, so a lookup waits a little for the build to appear.
 */
final class ForwardedBuilds {

    /** How many ended builds' refs are remembered, for bridge calls that come after their build failed. */
    private static final int ENDED_KEPT = 256;

    private final Map<String, ForwardedBuild> builds = new ConcurrentHashMap<>();
    /**
     * Refs of builds that ended, newest last: a Solve that fails at once (an exporter's unknown attribute, say) ends
     * before its client's first bridge call arrives, and that call is answered at once instead of waiting for a
     * build that will not come (buildctl waited those 10 seconds before it printed the error).
     */
    private final Set<String> ended = Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > ENDED_KEPT;
        }
    });

    /** @throws IllegalArgumentException if a build with the same ref runs already */
    void add(ForwardedBuild build) {
        synchronized (this) {
            if (builds.putIfAbsent(build.ref(), build) != null) {
                throw new IllegalArgumentException("a build with ref " + build.ref() + " is running already");
            }
            ended.remove(build.ref());
            notifyAll();
        }
    }

    void remove(ForwardedBuild build) {
        synchronized (this) {
            if (builds.remove(build.ref(), build)) {
                ended.add(build.ref());
                notifyAll();
            }
        }
    }

    /**
     * The build {@code ref}, waiting up to {@code timeout} for its Solve to arrive.
     *
     * @throws io.grpc.StatusRuntimeException NOT_FOUND when no such build appears
     */
    ForwardedBuild await(String ref, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (true) {
                ForwardedBuild build = builds.get(ref);
                if (build != null) {
                    return build;
                }
                if (ended.contains(ref)) {
                    throw Status.NOT_FOUND
                            .withDescription("the build " + ref + " has ended; its Control.Solve says how")
                            .asRuntimeException();
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw Status.NOT_FOUND
                            .withDescription("no running build " + ref + " forwards to the gateway "
                                    + "(its Control.Solve must name no frontend and carry no definition)")
                            .asRuntimeException();
                }
                wait(Math.max(1, left / 1_000_000));
            }
        }
    }
}
