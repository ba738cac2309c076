package dev.kiln.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Saves behind the caller: coalesced, their failures told to the next caller, the last one awaited at close. */
class BackgroundSaveTest {

    @Test
    void requestsWhileASaveRunsCoalesceIntoOneMoreSave() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger saves = new AtomicInteger();
        BackgroundSave save = new BackgroundSave(() -> {
            if (saves.incrementAndGet() == 1) {
                running.countDown();
                await(release);
            }
        });

        save.request();
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
        for (int i = 0; i < 5; i++) {
            save.request(); // what these builds learnt waits for the first save to end, then goes in one more
        }
        release.countDown();
        save.close();

        assertThat(saves).hasValue(2);
    }

    @Test
    void aFailedSaveIsToldToTheNextRequestOnce() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        BackgroundSave save = new BackgroundSave(() -> {
            calls.incrementAndGet();
            throw new IOException("No space left on device");
        });

        save.request();
        save.close(); // the save has run and failed

        assertThatThrownBy(save::request).isInstanceOf(IOException.class).hasMessage("No space left on device");
        save.request(); // told once; a closed saver takes no more work
        assertThat(calls).hasValue(1);
    }

    @Test
    void closeWaitsForTheSaveUnderWay() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        AtomicInteger finished = new AtomicInteger();
        BackgroundSave save = new BackgroundSave(() -> {
            started.countDown();
            sleep(300);
            finished.incrementAndGet();
        });

        save.request();
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        save.close();

        assertThat(finished).hasValue(1);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
