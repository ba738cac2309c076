package dev.kiln.daemon;

import dev.kiln.api.control.BuildHistoryEvent;
import dev.kiln.api.control.BuildHistoryEventType;
import dev.kiln.api.control.BuildHistoryRecord;
import dev.kiln.api.control.BuildHistoryRequest;
import dev.kiln.api.control.Exporter;
import dev.kiln.api.control.SolveRequest;
import dev.kiln.api.control.SolveResponse;
import dev.kiln.api.control.UpdateBuildHistoryRequest;
import dev.kiln.api.control.UpdateBuildHistoryResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Control.ListenBuildHistory and Control.UpdateBuildHistory on the daemon's {@link BuildHistory}, and the recording
 * of each Solve into it. As in BuildKit, a request's filters and limit choose among the finished builds; running ones
 * are all listed.
 */
final class BuildHistoryService {

    private final BuildHistory history;
    private final Clock clock;

    BuildHistoryService(BuildHistory history, Clock clock) {
        this.history = history;
        this.clock = clock;
    }

    /**
     * Records the start of the Solve {@code ref}; the returned observer stands for the client's {@code response} and
     * hears how the Solve answers, which {@link Recording#end} records with the build's steps.
     */
    Recording start(
            String ref,
            SolveRequest request,
            StreamObserver<SolveResponse> response,
            java.util.function.Supplier<StatusFeed.Steps> steps) {
        BuildHistoryRecord.Builder record = BuildHistoryRecord.newBuilder()
                .setRef(ref)
                .setFrontend(request.getFrontend())
                .putAllFrontendAttrs(request.getFrontendAttrsMap())
                .addAllExporters(request.getExportersList())
                .setCreatedAt(WireTime.of(clock.instant()));
        if (request.getExportersCount() == 0 && !request.getExporterDeprecated().isEmpty()) {
            record.addExporters(Exporter.newBuilder()
                    .setType(request.getExporterDeprecated())
                    .putAllAttrs(request.getExporterAttrsDeprecatedMap()));
        }
        history.started(record.build());
        return new Recording(record, response, steps);
    }

    /**
     * One Solve's record in the making: the client's response observer, seeing the answer go by. The record is kept
     * before the answer reaches the client, so that a client that lists the history once its Solve returned finds
     * the build among the finished ones (it was listed as still running, now and then, under load).
     */
    final class Recording implements StreamObserver<SolveResponse> {

        private final BuildHistoryRecord.Builder record;
        private final StreamObserver<SolveResponse> response;
        private final java.util.function.Supplier<StatusFeed.Steps> steps;
        private boolean ended;

        private Recording(
                BuildHistoryRecord.Builder record,
                StreamObserver<SolveResponse> response,
                java.util.function.Supplier<StatusFeed.Steps> steps) {
            this.record = record;
            this.response = response;
            this.steps = steps;
        }

        @Override
        public void onNext(SolveResponse answer) {
            record.putAllExporterResponse(answer.getExporterResponseMap());
            response.onNext(answer);
        }

        @Override
        public void onError(Throwable t) {
            failed(Status.fromThrowable(t));
            end();
            response.onError(t);
        }

        /** The build failed with {@code status}, whether the Solve answered it or gRPC will. */
        void failed(Status status) {
            record.setError(com.google.rpc.Status.newBuilder()
                    .setCode(status.getCode().value())
                    .setMessage(status.getDescription() == null ? "" : status.getDescription()));
        }

        @Override
        public void onCompleted() {
            end();
            response.onCompleted();
        }

        /** The build has ended: its record, with the steps and warnings its progress shows, is kept; once only. */
        synchronized void end() {
            if (ended) {
                return;
            }
            ended = true;
            StatusFeed.Steps steps = this.steps.get();
            history.completed(record.setCompletedAt(WireTime.of(clock.instant()))
                    .setNumTotalSteps(steps.total())
                    .setNumCachedSteps(steps.cached())
                    .setNumCompletedSteps(steps.completed())
                    .setNumWarnings(steps.warnings())
                    .build());
        }
    }

    void listen(BuildHistoryRequest request, StreamObserver<BuildHistoryEvent> response) {
        Predicate<BuildHistoryRecord> chosen;
        try {
            chosen = HistoryFilter.anyOf(request.getFilterList());
            if (request.getLimit() < 0) {
                throw new IllegalArgumentException("invalid limit " + request.getLimit() + ": a limit is 0 or more");
            }
        } catch (IllegalArgumentException e) {
            response.onError(
                    Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        String ref = request.getRef();
        Predicate<BuildHistoryRecord> ofRef = record -> ref.isEmpty() || ref.equals(record.getRef());
        ServerCallStreamObserver<BuildHistoryEvent> stream = (ServerCallStreamObserver<BuildHistoryEvent>) response;
        try (BuildHistory.Listener listener = history.listen()) {
            for (BuildHistoryRecord record : listener.running()) {
                if (ofRef.test(record)) {
                    response.onNext(event(BuildHistoryEventType.STARTED, record));
                }
            }
            if (!request.getActiveOnly()) {
                for (BuildHistoryRecord record : chosen(listener.finished(), ofRef.and(chosen), request.getLimit())) {
                    response.onNext(event(BuildHistoryEventType.COMPLETE, record));
                }
            }
            while (!request.getEarlyExit() && !stream.isCancelled()) {
                BuildHistoryEvent event = listener.next(1000);
                if (event != null && ofRef.test(event.getRecord())) {
                    response.onNext(event);
                }
            }
            if (!stream.isCancelled()) {
                response.onCompleted();
            }
        } catch (InterruptedException e) {
            response.onError(Status.CANCELLED.asRuntimeException());
        }
    }

    /** The records {@code test} chooses; with a {@code limit}, that many of them, the newest first. */
    private static List<BuildHistoryRecord> chosen(
            List<BuildHistoryRecord> records, Predicate<BuildHistoryRecord> test, int limit) {
        List<BuildHistoryRecord> out =
                new ArrayList<>(records.stream().filter(test).toList());
        if (limit > 0) {
            out.sort(Comparator.comparing((BuildHistoryRecord record) -> WireTime.instant(record.getCreatedAt()))
                    .reversed());
            return out.subList(0, Math.min(limit, out.size()));
        }
        return out;
    }

    private static BuildHistoryEvent event(BuildHistoryEventType type, BuildHistoryRecord record) {
        return BuildHistoryEvent.newBuilder().setType(type).setRecord(record).build();
    }

    void update(UpdateBuildHistoryRequest request, StreamObserver<UpdateBuildHistoryResponse> response) {
        String ref = request.getRef();
        boolean found;
        if (request.getDelete()) {
            found = history.delete(ref);
        } else if (request.getFinalize()) {
            found = true; // Kiln's records are whole when their build ends: there is nothing left to write
        } else {
            found = history.pin(ref, request.getPinned()).isPresent();
        }
        if (!found) {
            Status status = history.isRunning(ref)
                    ? Status.FAILED_PRECONDITION.withDescription(
                            "build " + ref + " is still running: its record can change once it has ended")
                    : Status.NOT_FOUND.withDescription("no build record for ref " + ref);
            response.onError(status.asRuntimeException());
            return;
        }
        response.onNext(UpdateBuildHistoryResponse.getDefaultInstance());
        response.onCompleted();
    }

    /**
     * The filters of a BuildHistoryRequest Kiln knows: {@code ref==REF} and {@code ref!=REF}. As in BuildKit, the
     * conditions of one filter, comma-separated, must all hold, and a record is chosen when any filter chooses it.
     */
    static final class HistoryFilter {

        private HistoryFilter() {}

        static Predicate<BuildHistoryRecord> anyOf(List<String> filters) {
            if (filters.isEmpty()) {
                return record -> true;
            }
            Predicate<BuildHistoryRecord> any = record -> false;
            for (String filter : filters) {
                any = any.or(allOf(filter));
            }
            return any;
        }

        private static Predicate<BuildHistoryRecord> allOf(String filter) {
            Predicate<BuildHistoryRecord> all = record -> true;
            for (String condition : filter.split(",")) {
                all = all.and(condition(condition.trim(), filter));
            }
            return all;
        }

        private static Predicate<BuildHistoryRecord> condition(String condition, String filter) {
            for (Map.Entry<String, Boolean> operator : OPERATORS.entrySet()) {
                String prefix = "ref" + operator.getKey();
                if (condition.startsWith(prefix) && condition.length() > prefix.length()) {
                    String ref = condition.substring(prefix.length());
                    boolean equal = operator.getValue();
                    return record -> ref.equals(record.getRef()) == equal;
                }
            }
            throw new IllegalArgumentException("unsupported build history filter \"" + condition + "\" in \"" + filter
                    + "\": Kiln filters build records by ref==REF or ref!=REF");
        }

        /** Each operator and whether it chooses equal refs. */
        private static final Map<String, Boolean> OPERATORS = Map.of("==", true, "!=", false);
    }
}
