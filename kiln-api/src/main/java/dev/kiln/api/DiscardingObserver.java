package dev.kiln.api;

import io.grpc.stub.StreamObserver;

/**
 * The receiving end of a stream refused at its start: what the peer may still send, and how its side ends, is
 * dropped. The daemon's services and the client's session services refuse streams the same way.
 */
public final class DiscardingObserver<T> implements StreamObserver<T> {

    @Override
    public void onNext(T value) {}

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
}
