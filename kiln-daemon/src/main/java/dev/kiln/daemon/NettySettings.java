package dev.kiln.daemon;

import java.util.Map;

/**
 * The daemon's settings for the netty inside grpc-netty (shaded, so its system properties carry the shaded prefix).
 * Netty reads each when the class that uses it is first initialized, so they are set before the daemon's first
 * server; a property given on the daemon's command line wins.
 * <ul>
 *   <li>One arena for direct buffers and one for heap buffers, where netty's default is two of each per core. An arena
 *       keeps a 4 MiB chunk once a thread bound to it has used one, and the daemon's event-loop threads were spread
 *       over three direct arenas: with one, a fresh daemon's peak resident size over five W3 builds was 6 MB lower
 *       (issue 13's W6), and its few event-loop threads on a small machine have little to contend for.
 *   <li>No Flight Recorder events from netty: asking whether JFR is available loads and starts 114 classes of the
 *       jdk.jfr module in a daemon that records nothing, 1.5 to 4.6 MiB of its resident size over five W3 builds. A
 *       recording started on the daemon's command line still sees the JDK's own events.
 * </ul>
 */
final class NettySettings {

    private static final String PREFIX = "io.grpc.netty.shaded.io.netty.";
    private static final Map<String, String> DEFAULTS = Map.of(
            "allocator.numDirectArenas", "1",
            "allocator.numHeapArenas", "1",
            "jfr.enabled", "false");

    private NettySettings() {}

    static void applyDefaults() {
        DEFAULTS.forEach((name, value) -> {
            if (System.getProperty(PREFIX + name) == null) {
                System.setProperty(PREFIX + name, value);
            }
        });
    }
}
