package dev.kiln.daemon;

import java.util.List;

/**
 * How many arenas the pooled buffers of the daemon's gRPC servers (grpc-netty's shaded netty) draw on: one for direct
 * buffers and one for heap buffers, where netty's default is two of each per core. An arena keeps a 4 MiB chunk once a
 * thread bound to it has used one, and the daemon's event-loop threads were spread over three direct arenas: with one,
 * a fresh daemon's peak resident size over five W3 builds was 6 MB lower (issue 13's W6), and its few event-loop
 * threads on a small machine have little to contend for.
 */
final class BufferArenas {

    private static final String ALLOCATOR = "io.grpc.netty.shaded.io.netty.allocator.";
    private static final List<String> COUNTS = List.of("numDirectArenas", "numHeapArenas");

    private BufferArenas() {}

    /**
     * Asks for one arena of each kind, unless the daemon's command line set a count. Netty reads them when its pooled
     * allocator is first used, so this must come before the daemon's first server.
     */
    static void useOne() {
        for (String count : COUNTS) {
            if (System.getProperty(ALLOCATOR + count) == null) {
                System.setProperty(ALLOCATOR + count, "1");
            }
        }
    }
}
