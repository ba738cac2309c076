package dev.kiln.api;

import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;

/**
 * One small epoll event loop group for every server or channel of a kind in the process, made on first use: a
 * process opens many of them (a frontend's stream server, a session's tunnel) and each must not start threads of
 * its own. The threads are daemons and live with the process.
 */
public final class SharedEventLoop {

    private final int threads;
    private final String threadName;
    private volatile EventLoopGroup group;

    /** {@code threadName}: the prefix of the group's thread names. */
    public SharedEventLoop(int threads, String threadName) {
        this.threads = threads;
        this.threadName = threadName;
    }

    public EventLoopGroup get() {
        EventLoopGroup g = group;
        if (g == null) {
            synchronized (this) {
                g = group;
                if (g == null) {
                    g = new EpollEventLoopGroup(threads, new DefaultThreadFactory(threadName, true));
                    group = g;
                }
            }
        }
        return g;
    }
}
