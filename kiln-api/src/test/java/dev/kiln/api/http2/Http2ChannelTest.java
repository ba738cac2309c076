package dev.kiln.api.http2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.kiln.api.LambdaObserver;
import dev.kiln.api.control.BytesMessage;
import dev.kiln.api.control.ControlGrpc;
import dev.kiln.api.control.InfoRequest;
import dev.kiln.api.control.InfoResponse;
import dev.kiln.api.control.ListWorkersRequest;
import dev.kiln.api.control.ListWorkersResponse;
import dev.kiln.api.control.SolveRequest;
import dev.kiln.api.control.SolveResponse;
import dev.kiln.api.control.StatusRequest;
import dev.kiln.api.control.StatusResponse;
import dev.kiln.api.control.VertexLog;
import dev.kiln.api.types.BuildkitVersion;
import dev.kiln.api.types.WorkerRecord;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Http2Channel against grpc-java's own server (Netty, epoll, unix socket) serving a test Control service:
 * the generated stubs must work on it as they do on grpc-java's channel.
 */
class Http2ChannelTest {

    private static final int MAX_INBOUND = 16 << 20;

    private static final Metadata.Key<String> DETAIL = Metadata.Key.of("kiln-detail", Metadata.ASCII_STRING_MARSHALLER);

    @TempDir
    Path dir;

    private final EpollEventLoopGroup group = new EpollEventLoopGroup(1);
    private final AtomicReference<Metadata> lastHeaders = new AtomicReference<>();
    private final CountDownLatch serverSawCancel = new CountDownLatch(1);
    private final CountDownLatch slowStarted = new CountDownLatch(1);
    private Server server;
    private Http2Channel channel;

    /** The test service: each Status ref picks a behaviour. */
    private final class TestControl extends ControlGrpc.ControlImplBase {

        @Override
        public void info(InfoRequest request, StreamObserver<InfoResponse> responses) {
            responses.onNext(InfoResponse.newBuilder()
                    .setBuildkitVersion(
                            BuildkitVersion.newBuilder().setVersion("v-test").setPackage("kiln"))
                    .build());
            responses.onCompleted();
        }

        @Override
        public void listWorkers(ListWorkersRequest request, StreamObserver<ListWorkersResponse> responses) {
            var b = ListWorkersResponse.newBuilder();
            for (String f : request.getFilterList()) {
                b.addRecord(WorkerRecord.newBuilder().setID("worker-" + f));
            }
            responses.onNext(b.build());
            responses.onCompleted();
        }

        @Override
        public void solve(SolveRequest request, StreamObserver<SolveResponse> responses) {
            try {
                Thread.sleep(3000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            responses.onNext(SolveResponse.getDefaultInstance());
            responses.onCompleted();
        }

        @Override
        public void status(StatusRequest request, StreamObserver<StatusResponse> responses) {
            switch (request.getRef()) {
                case "many" -> {
                    for (int i = 0; i < 2000; i++) {
                        responses.onNext(log(i, 4096));
                    }
                    responses.onCompleted();
                }
                case "big" -> {
                    responses.onNext(log(7, 5 << 20));
                    responses.onCompleted();
                }
                case "error-before-headers" ->
                    responses.onError(Status.INVALID_ARGUMENT
                            .withDescription("bad ref: ünïcode 100% sure %41")
                            .asException());
                case "error-after-message" -> {
                    responses.onNext(log(1, 10));
                    responses.onError(Status.FAILED_PRECONDITION
                            .withDescription("half way: 50% done ✓")
                            .asException());
                }
                case "error-with-details" -> {
                    Metadata details = new Metadata();
                    details.put(DETAIL, "where it went wrong");
                    responses.onError(
                            Status.ABORTED.withDescription("see the details").asException(details));
                }
                case "slow" -> {
                    var observer = (ServerCallStreamObserver<StatusResponse>) responses;
                    observer.setOnCancelHandler(serverSawCancel::countDown);
                    responses.onNext(log(0, 10));
                    slowStarted.countDown();
                }
                default -> responses.onError(Status.NOT_FOUND.asException());
            }
        }

        @Override
        public StreamObserver<BytesMessage> session(StreamObserver<BytesMessage> responses) {
            return new StreamObserver<>() {
                @Override
                public void onNext(BytesMessage value) {
                    responses.onNext(value);
                }

                @Override
                public void onError(Throwable t) {}

                @Override
                public void onCompleted() {
                    responses.onCompleted();
                }
            };
        }
    }

    private static StatusResponse log(int i, int size) {
        byte[] msg = new byte[size];
        for (int k = 0; k < size; k++) {
            msg[k] = (byte) (i + k);
        }
        return StatusResponse.newBuilder()
                .addLogs(VertexLog.newBuilder().setVertex("v" + i).setMsg(ByteString.copyFrom(msg)))
                .build();
    }

    private Path socket() {
        return dir.resolve("control.sock");
    }

    private void startServer() throws Exception {
        ServerInterceptor headers = ServerHeaders.to(lastHeaders::set);
        server = NettyServerBuilder.forAddress(new DomainSocketAddress(socket().toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(group)
                .workerEventLoopGroup(group)
                .maxInboundMessageSize(MAX_INBOUND)
                .addService(ServerInterceptors.intercept(new TestControl(), headers))
                .build()
                .start();
    }

    /** Starts the server and opens the channel to it, with the limit the server has. */
    private void startServerAndConnect() throws Exception {
        startServer();
        channel = Http2Channel.unix(socket(), MAX_INBOUND);
    }

    /** The messages of the Status stream of {@code ref}, whose name tells the test server what to send. */
    private Iterator<StatusResponse> status(String ref) {
        return blocking().status(StatusRequest.newBuilder().setRef(ref).build());
    }

    private ControlGrpc.ControlBlockingStub blocking() {
        return ControlGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        if (channel != null) {
            channel.shutdownNow();
            assertThat(channel.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        }
        if (server != null) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    @Test
    void unaryCallsReturnTheServersAnswers() throws Exception {
        startServerAndConnect();
        assertInfoAnswers();
        ListWorkersResponse workers = blocking()
                .listWorkers(ListWorkersRequest.newBuilder()
                        .addFilter("a")
                        .addFilter("b")
                        .build());
        assertThat(workers.getRecordList()).extracting(WorkerRecord::getID).containsExactly("worker-a", "worker-b");
        // The async stub (no executor: callbacks on the reader thread) gets the same.
        CompletableFuture<InfoResponse> async = new CompletableFuture<>();
        ControlGrpc.newStub(channel).info(InfoRequest.getDefaultInstance(), observer(async));
        assertThat(async.get(10, TimeUnit.SECONDS).getBuildkitVersion().getPackage())
                .isEqualTo("kiln");
    }

    /**
     * The stream form, as a frontend runs on BuildKit's stdio: the streams here are a socket's, read and written
     * as plain streams, and the channel cannot connect again once its one connection has ended.
     */
    @Test
    void aChannelOnStreamsCarriesCallsAndEndsWithThem() throws Exception {
        startServer();
        java.nio.channels.SocketChannel socket =
                java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(socket()));
        channel = Http2Channel.streams(
                "the test's streams",
                java.nio.channels.Channels.newInputStream(socket),
                java.nio.channels.Channels.newOutputStream(socket),
                MAX_INBOUND);
        assertInfoAnswers();
        Iterator<StatusResponse> it = status("big");
        assertThat(it.next()).isEqualTo(log(7, 5 << 20));

        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        socket.close();
        assertThatThrownBy(() -> blocking().info(InfoRequest.getDefaultInstance()))
                .isInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("UNAVAILABLE");
        assertThatThrownBy(() -> blocking().info(InfoRequest.getDefaultInstance()))
                .isInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("UNAVAILABLE")
                .hasMessageContaining("the test's streams");
    }

    @Test
    void serverStreamingBeyondTheWindowsDeliversEveryMessage() throws Exception {
        startServerAndConnect();
        Iterator<StatusResponse> it = status("many");
        int n = 0;
        while (it.hasNext()) {
            StatusResponse r = it.next();
            assertThat(r).isEqualTo(log(n, 4096));
            n++;
        }
        assertThat(n).isEqualTo(2000);
    }

    @Test
    void aFiveMegabyteMessageCrossesBothWays() throws Exception {
        startServerAndConnect();
        Iterator<StatusResponse> it = status("big");
        assertThat(it.next()).isEqualTo(log(7, 5 << 20));
        assertThat(it.hasNext()).isFalse();
        // And a big request: Session echoes it back.
        byte[] big = log(3, 5 << 20).toByteArray();
        LinkedBlockingQueue<Object> got = new LinkedBlockingQueue<>();
        StreamObserver<BytesMessage> requests = ControlGrpc.newStub(channel).session(queueing(got));
        requests.onNext(
                BytesMessage.newBuilder().setData(ByteString.copyFrom(big)).build());
        requests.onCompleted();
        assertThat(((BytesMessage) got.poll(20, TimeUnit.SECONDS)).getData().toByteArray())
                .isEqualTo(big);
        assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo("completed");
    }

    @Test
    void aMessageAboveTheInboundLimitFailsWithResourceExhausted() throws Exception {
        startServer();
        channel = Http2Channel.unix(socket(), 1 << 20);
        assertThatThrownBy(() -> blocking()
                        .status(StatusRequest.newBuilder().setRef("big").build())
                        .next())
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                });
        // The connection survives: the next call works.
        assertInfoAnswers();
    }

    @Test
    void bidiSessionEchoesInOrder() throws Exception {
        startServerAndConnect();
        LinkedBlockingQueue<Object> got = new LinkedBlockingQueue<>();
        StreamObserver<BytesMessage> requests = ControlGrpc.newStub(channel).session(queueing(got));
        for (int i = 0; i < 100; i++) {
            requests.onNext(BytesMessage.newBuilder()
                    .setData(ByteString.copyFromUtf8("msg " + i))
                    .build());
        }
        for (int i = 0; i < 100; i++) {
            assertThat(((BytesMessage) got.poll(10, TimeUnit.SECONDS)).getData().toStringUtf8())
                    .isEqualTo("msg " + i);
        }
        requests.onCompleted();
        assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo("completed");
    }

    @Test
    void customHeadersReachTheServer() throws Exception {
        startServerAndConnect();
        Metadata md = new Metadata();
        Metadata.Key<String> text = Metadata.Key.of("x-kiln-session", Metadata.ASCII_STRING_MARSHALLER);
        Metadata.Key<byte[]> bin = Metadata.Key.of("x-kiln-blob-bin", Metadata.BINARY_BYTE_MARSHALLER);
        md.put(text, "session-1");
        md.put(text, "session-2");
        md.put(bin, new byte[] {0, 1, 2, (byte) 0xff, (byte) 0xfe});
        blocking()
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md))
                .info(InfoRequest.getDefaultInstance());
        Metadata seen = lastHeaders.get();
        assertThat(seen.getAll(text)).containsExactly("session-1", "session-2");
        assertThat(seen.get(bin)).containsExactly(0, 1, 2, 0xff, 0xfe);
        assertThat(seen.get(Metadata.Key.of("user-agent", Metadata.ASCII_STRING_MARSHALLER)))
                .contains("kiln-http2");
    }

    @Test
    void errorsKeepTheirCodeAndMessage() throws Exception {
        startServerAndConnect();
        // Trailers-Only: the server fails before any header or message.
        assertThatThrownBy(() -> blocking()
                        .status(StatusRequest.newBuilder()
                                .setRef("error-before-headers")
                                .build())
                        .hasNext())
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).isEqualTo("bad ref: ünïcode 100% sure %41");
                });
        // Headers, a message, then trailers with the error.
        Iterator<StatusResponse> it = blocking()
                .status(StatusRequest.newBuilder().setRef("error-after-message").build());
        assertThat(it.next()).isEqualTo(log(1, 10));
        assertThatThrownBy(it::hasNext).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
            assertThat(e.getStatus().getDescription()).isEqualTo("half way: 50% done ✓");
        });
    }

    @Test
    void deadlineExceededEndsTheCall() throws Exception {
        startServerAndConnect();
        long start = System.nanoTime();
        assertThatThrownBy(() -> ControlGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(200, TimeUnit.MILLISECONDS)
                        .solve(SolveRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(2500);
    }

    @Test
    void cancellingTheContextCancelsTheCallOnTheServer() throws Exception {
        startServerAndConnect();
        LinkedBlockingQueue<Object> got = new LinkedBlockingQueue<>();
        Context.CancellableContext ctx = Context.current().withCancellation();
        ctx.run(() -> ControlGrpc.newStub(channel)
                .status(StatusRequest.newBuilder().setRef("slow").build(), queueing(got)));
        assertThat(got.poll(10, TimeUnit.SECONDS)).isInstanceOf(StatusResponse.class);
        ctx.cancel(null);
        Object end = got.poll(10, TimeUnit.SECONDS);
        assertThat(end)
                .isInstanceOfSatisfying(
                        Throwable.class,
                        t -> assertThat(Status.fromThrowable(t).getCode()).isEqualTo(Status.Code.CANCELLED));
        assertThat(serverSawCancel.await(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void serverShutdownMidStreamFailsTheCallWithUnavailable() throws Exception {
        LinkedBlockingQueue<Object> got = slowStatusStarted();
        server.shutdownNow();
        Object end = got.poll(10, TimeUnit.SECONDS);
        assertThat(end)
                .isInstanceOfSatisfying(
                        Throwable.class,
                        t -> assertThat(Status.fromThrowable(t).getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }

    @Test
    void aMissingSocketIsUnavailableAndALaterCallConnects() throws Exception {
        channel = Http2Channel.unix(socket(), MAX_INBOUND);
        assertThatThrownBy(() -> blocking().info(InfoRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                    assertThat(e.getStatus().getDescription()).contains(socket().toString());
                });
        startServer();
        assertInfoAnswers();
    }

    @Test
    void concurrentCallsOnOneChannelAllSucceed() throws Exception {
        startServerAndConnect();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                String id = "t" + t;
                results.add(pool.submit(() -> {
                    int ok = 0;
                    for (int i = 0; i < 50; i++) {
                        var r = blocking()
                                .listWorkers(ListWorkersRequest.newBuilder()
                                        .addFilter(id + "-" + i)
                                        .build());
                        if (r.getRecord(0).getID().equals("worker-" + id + "-" + i)) {
                            ok++;
                        }
                    }
                    return ok;
                }));
            }
            for (Future<Integer> f : results) {
                assertThat(f.get(60, TimeUnit.SECONDS)).isEqualTo(50);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shutdownNowFailsCallsInFlightAndTerminates() throws Exception {
        LinkedBlockingQueue<Object> got = slowStatusStarted();
        channel.shutdown();
        assertThat(channel.isShutdown()).isTrue();
        assertThat(channel.isTerminated()).isFalse();
        channel.shutdownNow();
        assertThat(channel.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        assertThat(Status.fromThrowable((Throwable) got.poll(10, TimeUnit.SECONDS))
                        .getCode())
                .isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(serverSawCancel.await(10, TimeUnit.SECONDS)).isTrue();
        assertThatThrownBy(() -> blocking().info(InfoRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }

    /** An Info call on the channel gets the test server's answer. */
    @Test
    void aRawCallGetsTheAnswerAsBytesThenOk() throws Exception {
        startServerAndConnect();
        RawAnswer answer = raw(
                "moby.buildkit.v1.Control/Info",
                InfoRequest.getDefaultInstance().toByteArray());

        assertThat(answer.close()).isEqualTo(Status.Code.OK);
        assertThat(answer.messages)
                .singleElement()
                .satisfies(bytes -> assertThat(InfoResponse.parseFrom(bytes)
                                .getBuildkitVersion()
                                .getVersion())
                        .isEqualTo("v-test"));
    }

    @Test
    void aRawStreamGetsEveryMessageBeyondTheWindowsAndAMessageLargerThanOne() throws Exception {
        startServerAndConnect();
        RawAnswer many = raw("moby.buildkit.v1.Control/Status", statusRequest("many"));
        RawAnswer big = raw("moby.buildkit.v1.Control/Status", statusRequest("big"));

        assertThat(many.close()).isEqualTo(Status.Code.OK);
        assertThat(many.messages).hasSize(2000);
        for (int i = 0; i < 2000; i++) {
            assertThat(StatusResponse.parseFrom(many.messages.get(i))).isEqualTo(log(i, 4096));
        }
        assertThat(big.close()).isEqualTo(Status.Code.OK);
        assertThat(StatusResponse.parseFrom(big.messages.getFirst())).isEqualTo(log(7, 5 << 20));
    }

    @Test
    void aRawCallHearsTheServersErrorWithItsDescription() throws Exception {
        startServerAndConnect();
        RawAnswer before = raw("moby.buildkit.v1.Control/Status", statusRequest("error-before-headers"));
        RawAnswer after = raw("moby.buildkit.v1.Control/Status", statusRequest("error-after-message"));

        assertThat(before.close()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(before.status.get().getDescription()).isEqualTo("bad ref: ünïcode 100% sure %41");
        assertThat(after.close()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(after.status.get().getDescription()).isEqualTo("half way: 50% done ✓");
        assertThat(after.messages).hasSize(1);

        RawAnswer detailed = raw("moby.buildkit.v1.Control/Status", statusRequest("error-with-details"));
        assertThat(detailed.close()).isEqualTo(Status.Code.ABORTED);
        assertThat(detailed.trailers.get().get(DETAIL)).isEqualTo("where it went wrong");
    }

    @Test
    void aCancelledRawCallResetsItsStreamAndClosesOnce() throws Exception {
        startServerAndConnect();
        RawAnswer slow = new RawAnswer();
        RawCall call = RawCall.start(channel, "moby.buildkit.v1.Control/Status", statusRequest("slow"), slow);
        assertThat(slowStarted.await(10, TimeUnit.SECONDS)).isTrue();

        call.cancel("the user asked");
        call.cancel("again");

        assertThat(slow.close()).isEqualTo(Status.Code.CANCELLED);
        assertThat(slow.status.get().getDescription()).isEqualTo("the user asked");
        assertThat(serverSawCancel.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(slow.closes.get()).isEqualTo(1);
        assertInfoAnswers(); // the connection carries on
    }

    @Test
    void aRawCallWithoutAServerOrAfterShutdownIsUnavailable() throws Exception {
        channel = Http2Channel.unix(socket(), MAX_INBOUND);
        RawAnswer nobody = raw("moby.buildkit.v1.Control/Info", new byte[0]);
        assertThat(nobody.close()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(nobody.status.get().getDescription()).contains("cannot connect to " + socket());

        startServer();
        RawAnswer inFlight = new RawAnswer();
        RawCall.start(channel, "moby.buildkit.v1.Control/Status", statusRequest("slow"), inFlight);
        assertThat(slowStarted.await(10, TimeUnit.SECONDS)).isTrue();
        channel.shutdownNow();
        assertThat(inFlight.close()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(raw("moby.buildkit.v1.Control/Info", new byte[0]).close()).isEqualTo(Status.Code.UNAVAILABLE);
    }

    private static byte[] statusRequest(String ref) {
        return StatusRequest.newBuilder().setRef(ref).build().toByteArray();
    }

    /** Starts a raw call and waits for its end. */
    private RawAnswer raw(String method, byte[] request) throws Exception {
        RawAnswer answer = new RawAnswer();
        RawCall.start(channel, method, request, answer);
        answer.close();
        return answer;
    }

    /** A raw call's messages and close, as its listener heard them. */
    private static final class RawAnswer implements RawCall.Listener {
        final List<byte[]> messages = new java.util.concurrent.CopyOnWriteArrayList<>();
        final CompletableFuture<Status> status = new CompletableFuture<>();
        final java.util.concurrent.atomic.AtomicInteger closes = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public void onMessage(byte[] message) {
            assertThat(status).isNotDone();
            messages.add(message);
        }

        final CompletableFuture<Metadata> trailers = new CompletableFuture<>();

        @Override
        public void onClose(Status end, java.util.function.Supplier<Metadata> trailers) {
            closes.incrementAndGet();
            this.trailers.complete(trailers.get());
            status.complete(end);
        }

        /** The close's code, once the call has ended. */
        Status.Code close() throws Exception {
            return status.get(30, TimeUnit.SECONDS).getCode();
        }
    }

    private void assertInfoAnswers() {
        assertThat(blocking()
                        .info(InfoRequest.getDefaultInstance())
                        .getBuildkitVersion()
                        .getVersion())
                .isEqualTo("v-test");
    }

    /**
     * Starts the server, connects, and opens the Status stream of ref "slow" (which the test server keeps open),
     * returning once its first message came: the queue then gets the stream's further messages and its end.
     */
    private LinkedBlockingQueue<Object> slowStatusStarted() throws Exception {
        startServerAndConnect();
        LinkedBlockingQueue<Object> got = new LinkedBlockingQueue<>();
        ControlGrpc.newStub(channel)
                .status(StatusRequest.newBuilder().setRef("slow").build(), queueing(got));
        assertThat(got.poll(10, TimeUnit.SECONDS)).isInstanceOf(StatusResponse.class);
        return got;
    }

    private static <T> StreamObserver<T> observer(CompletableFuture<T> result) {
        return new LambdaObserver<>(result::complete, result::completeExceptionally, () -> {});
    }

    /** Puts each message, then the error or "completed", on {@code got}. */
    private static <T> StreamObserver<T> queueing(LinkedBlockingQueue<Object> got) {
        return new LambdaObserver<>(got::add, got::add, () -> got.add("completed"));
    }
}
