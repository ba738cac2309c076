package dev.kiln.api.http2;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs one call's listener callbacks in order and never two at once, on the CallOptions executor or, without
 * one, on whichever thread hands in a callback (usually the connection's reader). A callback handed in while
 * another runs waits its turn instead of running nested, so a listener may call back into its call.
 */
final class CallbackQueue implements Executor, Runnable {

    private final Executor executor;
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private boolean running;

    CallbackQueue(Executor executor) {
        this.executor = executor;
    }

    @Override
    public void execute(Runnable task) {
        synchronized (this) {
            tasks.add(task);
            if (running) {
                return;
            }
            running = true;
        }
        if (executor == null) {
            run();
            return;
        }
        try {
            executor.execute(this);
        } catch (RejectedExecutionException e) {
            // The executor is gone (a blocking stub's caller stopped waiting): nobody is left to hear these.
            synchronized (this) {
                tasks.clear();
                running = false;
            }
        }
    }

    @Override
    public void run() {
        while (true) {
            Runnable task;
            synchronized (this) {
                task = tasks.poll();
                if (task == null) {
                    running = false;
                    return;
                }
            }
            try {
                task.run();
            } catch (RuntimeException e) {
                // The call's own callbacks turn a listener's failure into a cancellation; this only keeps the queue
                // alive.
            }
        }
    }
}
