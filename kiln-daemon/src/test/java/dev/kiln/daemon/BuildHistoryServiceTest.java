package dev.kiln.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.api.control.BuildHistoryEvent;
import dev.kiln.api.control.BuildHistoryEventType;
import dev.kiln.api.control.BuildHistoryRecord;
import dev.kiln.api.control.BuildHistoryRequest;
import dev.kiln.api.control.ControlGrpc;
import dev.kiln.api.control.Exporter;
import dev.kiln.api.control.UpdateBuildHistoryRequest;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ListenBuildHistory and UpdateBuildHistory driven over the daemon's socket by a gRPC client on BuildKit's protos. */
class BuildHistoryServiceTest extends DaemonWithBusybox {

    @Test
    void aFinishedBuildIsListedWithItsRefFrontendAndStepsAsComplete() {
        String ref = "hist-" + System.nanoTime();
        daemon.control()
                .solve(busyboxStep(ref, "echo history > /h")
                        .putFrontendAttrs("kiln:test", "yes")
                        .addExporters(Exporter.newBuilder().setType("image").putAttrs("name", "example/h"))
                        .build());

        List<BuildHistoryEvent> events = history(daemon.control(), request().setRef(ref));

        assertThat(events).singleElement().satisfies(event -> {
            assertThat(event.getType()).isEqualTo(BuildHistoryEventType.COMPLETE);
            BuildHistoryRecord record = event.getRecord();
            assertThat(record.getRef()).isEqualTo(ref);
            assertThat(record.getFrontend()).isEmpty(); // an LLB definition, no frontend
            assertThat(record.getFrontendAttrsMap()).containsEntry("kiln:test", "yes");
            assertThat(record.getExportersList()).extracting(Exporter::getType).containsExactly("image");
            assertThat(record.getNumTotalSteps()).isGreaterThanOrEqualTo(2); // busybox, and the run
            assertThat(record.getNumCompletedSteps()).isEqualTo(record.getNumTotalSteps());
            assertThat(record.hasError()).isFalse();
            assertThat(record.hasCreatedAt()).isTrue();
            assertThat(record.getCompletedAt().getSeconds())
                    .isGreaterThanOrEqualTo(record.getCreatedAt().getSeconds());
        });
        assertThat(history(daemon.control(), request().addFilter("ref==" + ref)))
                .extracting(e -> e.getRecord().getRef())
                .containsExactly(ref);
        assertThat(history(daemon.control(), request().addFilter("ref!=" + ref)))
                .extracting(e -> e.getRecord().getRef())
                .doesNotContain(ref);
        assertThat(history(daemon.control(), request().addFilter("ref==" + ref + ",ref!=" + ref)))
                .isEmpty();
    }

    @Test
    void aFailedBuildsRecordHasItsError() {
        String ref = "hist-fail-" + System.nanoTime();
        assertThatThrownBy(() -> daemon.control()
                        .solve(busyboxStep(ref, "echo broken >&2; exit 3").build()))
                .isInstanceOf(StatusRuntimeException.class);

        BuildHistoryRecord record =
                history(daemon.control(), request().setRef(ref)).getFirst().getRecord();
        assertThat(record.getError().getCode()).isEqualTo(Status.Code.UNKNOWN.value());
        assertThat(record.getError().getMessage()).contains("did not complete successfully: exit code: 3");
    }

    @Test
    void aPinnedRecordIsANewGenerationAndADeletedOneIsGoneAndHeardOf() throws Exception {
        String ref = "hist-pin-" + System.nanoTime();
        daemon.control().solve(busyboxStep(ref, "true").build());

        daemon.control()
                .updateBuildHistory(UpdateBuildHistoryRequest.newBuilder()
                        .setRef(ref)
                        .setPinned(true)
                        .build());
        BuildHistoryRecord pinned =
                history(daemon.control(), request().setRef(ref)).getFirst().getRecord();
        assertThat(pinned.getPinned()).isTrue();
        assertThat(pinned.getGeneration()).isEqualTo(1);

        BlockingQueue<BuildHistoryEvent> heard = new LinkedBlockingQueue<>();
        Context.CancellableContext listening = listen(ref, heard);
        try {
            assertThat(heard.poll(30, TimeUnit.SECONDS).getType()).isEqualTo(BuildHistoryEventType.COMPLETE);
            daemon.control()
                    .updateBuildHistory(UpdateBuildHistoryRequest.newBuilder()
                            .setRef(ref)
                            .setDelete(true)
                            .build());
            BuildHistoryEvent deleted = heard.poll(30, TimeUnit.SECONDS);
            assertThat(deleted.getType()).isEqualTo(BuildHistoryEventType.DELETED);
            assertThat(deleted.getRecord().getRef()).isEqualTo(ref);
        } finally {
            listening.cancel(null);
        }
        assertThat(history(daemon.control(), request().setRef(ref))).isEmpty();
        assertThatThrownBy(() -> daemon.control()
                        .updateBuildHistory(UpdateBuildHistoryRequest.newBuilder()
                                .setRef(ref)
                                .setDelete(true)
                                .build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                    assertThat(e.getStatus().getDescription()).isEqualTo("no build record for ref " + ref);
                });
    }

    @Test
    void aLiveListenerHearsABuildStartAndComplete() throws Exception {
        String ref = "hist-live-" + System.nanoTime();
        daemon.control().solve(busyboxStep(ref, "true").build());
        BlockingQueue<BuildHistoryEvent> heard = new LinkedBlockingQueue<>();
        Context.CancellableContext listening = listen(ref, heard);
        try {
            // the first build's record: the listener is there before the second build starts
            assertThat(heard.poll(30, TimeUnit.SECONDS).getType()).isEqualTo(BuildHistoryEventType.COMPLETE);
            daemon.control().solve(busyboxStep(ref, "true").build());
            assertThat(heard.poll(30, TimeUnit.SECONDS).getType()).isEqualTo(BuildHistoryEventType.STARTED);
            assertThat(heard.poll(30, TimeUnit.SECONDS).getType()).isEqualTo(BuildHistoryEventType.COMPLETE);
        } finally {
            listening.cancel(null);
        }
    }

    @Test
    void buildxsFeatureCheckEndsWithNoEvents() {
        // buildx's historyAPISupported: a ref no build has, running builds only, ending after them
        assertThat(history(daemon.control(), request().setActiveOnly(true).setRef("buildx-test-history-api-feature")))
                .isEmpty();
    }

    @Test
    void aFilterKilnDoesNotKnowIsRefusedByName() {
        assertThatThrownBy(() -> history(daemon.control(), request().addFilter("status==failed")))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains("\"status==failed\"");
                });
    }

    @Test
    void aLimitListsTheNewestBuilds() {
        String older = "hist-older-" + System.nanoTime();
        String newer = "hist-newer-" + System.nanoTime();
        daemon.control().solve(busyboxStep(older, "true").build());
        daemon.control().solve(busyboxStep(newer, "true").build());

        assertThat(history(daemon.control(), request().setLimit(1)))
                .extracting(e -> e.getRecord().getRef())
                .containsExactly(newer);
    }

    @Test
    void aRestartedDaemonOnTheSameStateStillListsTheRecord(@TempDir Path dir) throws Exception {
        String ref = "hist-restart-" + System.nanoTime();
        try (DaemonFixture first = new DaemonFixture(dir)) {
            first.control().solve(busyboxStep(ref, "true").build());
        }
        try (DaemonFixture second = new DaemonFixture(dir)) {
            assertThat(history(second.control(), request()))
                    .extracting(e -> e.getType() + " " + e.getRecord().getRef())
                    .containsExactly("COMPLETE " + ref);
        }
    }

    /** A ListenBuildHistory call on {@code ref} that puts what it hears in {@code heard} until its context is cancelled. */
    private Context.CancellableContext listen(String ref, BlockingQueue<BuildHistoryEvent> heard) {
        Context.CancellableContext listening = Context.current().withCancellation();
        Thread.ofVirtual().start(listening.wrap(() -> {
            try {
                daemon.control()
                        .listenBuildHistory(
                                BuildHistoryRequest.newBuilder().setRef(ref).build())
                        .forEachRemaining(heard::add);
            } catch (StatusRuntimeException e) {
                // cancelled: the test has heard what it waited for
            }
        }));
        return listening;
    }

    private static BuildHistoryRequest.Builder request() {
        return BuildHistoryRequest.newBuilder().setEarlyExit(true);
    }

    private static List<BuildHistoryEvent> history(
            ControlGrpc.ControlBlockingStub control, BuildHistoryRequest.Builder request) {
        List<BuildHistoryEvent> events = new ArrayList<>();
        Iterator<BuildHistoryEvent> it = control.listenBuildHistory(request.build());
        it.forEachRemaining(events::add);
        return events;
    }
}
