package dev.kiln.api;

import io.grpc.stub.StreamObserver;
import java.util.function.Consumer;

/**
 * A stream's receiving end made of three functions, for a caller whose handling of each event fits in a line (put
 * it on a queue, complete a future) and reads better beside the call than in an anonymous class.
 */
public final class LambdaObserver<T> implements StreamObserver<T> {

    private final Consumer<? super T> next;
    private final Consumer<? super Throwable> error;
    private final Runnable completed;

    public LambdaObserver(Consumer<? super T> next, Consumer<? super Throwable> error, Runnable completed) {
        this.next = next;
        this.error = error;
        this.completed = completed;
    }

    @Override
    public void onNext(T value) {
        next.accept(value);
    }

    @Override
    public void onError(Throwable t) {
        error.accept(t);
    }

    @Override
    public void onCompleted() {
        completed.run();
    }
}
