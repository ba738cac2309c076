package dev.kiln.daemon;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryNotificationInfo;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Keeps the daemon's old generation near what its builds keep alive, as Go's collector does for buildkitd (with
 * GOGC=25): when the pools that hold what survives young collections grow past the live size the last full collection
 * found plus a quarter as much again (at least {@link #minGrowth}), the daemon asks for a full collection.
 *
 * <p>Why the daemon needs this: the serial collector it runs with (see the {@code kiln} launcher) grows its old
 * generation instead of collecting it for as long as the maximum heap allows, a quarter of the machine's memory by
 * default. A build's long-lived objects (a 20,000-file context's tree, its layer plans) are promoted and die when the
 * build ends, so measured on bench/w3.sh's workload the daemon's resident size rose by some 12 MiB each build, from
 * 284 MiB after the first to 425 MiB after the twelfth, with 36 MiB live. A short-lived {@code kiln build} never
 * reaches that point, so only the daemon installs this.
 *
 * <p>Why a quarter and 8 MiB: the old generation's size before a collection is what the daemon's peak resident size
 * holds of its heap (issue 13's W6 asks for 160 MB on W3). Five W3 builds on a fresh daemon peaked at 243 MB with the
 * live size again and at least 64 MiB, 210 MB with at least 16 MiB, 192 MB with half and 16 MiB; the daemon's CPU
 * time for a W3 build rose by about a tenth (more full collections, each of some 40 MB live). Once the per-file state
 * had shrunk (some 20 MB live between builds, 25 during one), a quarter and 8 MiB with an 8 MiB young generation
 * peaked at 153 MiB over ten W3 builds against 161 with half and 16 MiB, the builds' CPU time no higher.
 */
final class HeapTarget implements AutoCloseable {

    /** The least growth before a collection: below it, full collections would cost more than the memory is worth. */
    static final long DEFAULT_MIN_GROWTH = 8L * 1024 * 1024;

    private final List<MemoryPoolMXBean> pools;
    private final long minGrowth;
    private final NotificationEmitter emitter;
    private final NotificationListener listener = this::exceeded;
    private final AtomicLong collections = new AtomicLong();
    /** Whether a collection this target asked for is still under way: notifications meanwhile ask for none more. */
    private final AtomicBoolean collecting = new AtomicBoolean();

    private HeapTarget(List<MemoryPoolMXBean> pools, long minGrowth) {
        this.pools = pools;
        this.minGrowth = minGrowth;
        this.emitter = (NotificationEmitter) ManagementFactory.getMemoryMXBean();
    }

    /** Starts watching this JVM's old generation; with a collector that exposes none, it watches nothing. */
    static HeapTarget start(long minGrowth) {
        List<MemoryPoolMXBean> pools = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(pool -> pool.getType() == MemoryType.HEAP && pool.isUsageThresholdSupported())
                .toList();
        HeapTarget target = new HeapTarget(pools, minGrowth);
        if (!pools.isEmpty()) {
            target.emitter.addNotificationListener(target.listener, null, null);
            target.arm();
        }
        return target;
    }

    /**
     * The old generation's size that triggers the next full collection, given what the last one left live: a quarter
     * as much again, and at least {@code minGrowth} more.
     */
    static long threshold(long live, long minGrowth) {
        return live + Math.max(live / 4, minGrowth);
    }

    /** How many full collections this target asked for. */
    long collections() {
        return collections.get();
    }

    /** Each pool's threshold from what its last collection left, or from its use now when none has run yet. */
    private void arm() {
        for (MemoryPoolMXBean pool : pools) {
            var afterCollection = pool.getCollectionUsage();
            long live = afterCollection != null && afterCollection.getUsed() > 0
                    ? afterCollection.getUsed()
                    : pool.getUsage().getUsed();
            long wanted = threshold(live, minGrowth);
            long max = pool.getUsage().getMax();
            pool.setUsageThreshold(max > 0 ? Math.min(wanted, max) : wanted);
        }
    }

    private void exceeded(Notification notification, Object handback) {
        if (!MemoryNotificationInfo.MEMORY_THRESHOLD_EXCEEDED.equals(notification.getType())) {
            return;
        }
        MemoryNotificationInfo info = MemoryNotificationInfo.from((CompositeData) notification.getUserData());
        if (pools.stream().noneMatch(pool -> pool.getName().equals(info.getPoolName()))) {
            return;
        }
        if (!collecting.compareAndSet(false, true)) {
            return;
        }
        // not on the JVM's notification thread, which other listeners share; and not on a virtual thread, which waits
        // for a carrier while builds' virtual threads hash and copy on every core: the old generation then grew by
        // another 40 MB before the collection began (a 20,000-file W3 build's 1.9 s of promotion, issue 13's W6)
        Thread.ofPlatform().daemon().name("kiln-heap-target").start(this::collect);
    }

    private void collect() {
        try {
            System.gc();
            collections.incrementAndGet();
            arm();
        } finally {
            collecting.set(false);
        }
    }

    @Override
    public void close() {
        if (pools.isEmpty()) {
            return;
        }
        try {
            emitter.removeNotificationListener(listener);
        } catch (javax.management.ListenerNotFoundException alreadyGone) {
            // closed twice
        }
    }
}
