package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A value made on its first ask and kept; a failed making is tried again; a taken value is made anew. */
class OnFirstUseTest {

    @Test
    void theValueIsMadeAtTheFirstAskOnlyAndThenKept() throws IOException {
        AtomicInteger makings = new AtomicInteger();
        OnFirstUse<String, IOException> value = new OnFirstUse<>(() -> "made " + makings.incrementAndGet());

        assertThat(value.made()).isEmpty();
        assertThat(makings).hasValue(0);
        assertThat(value.get()).isEqualTo("made 1");
        assertThat(value.get()).isEqualTo("made 1");
        assertThat(value.made()).contains("made 1");
        assertThat(makings).hasValue(1);
    }

    @Test
    void aMakerThatFailsIsTriedAgainAtTheNextAsk() throws IOException {
        AtomicInteger makings = new AtomicInteger();
        OnFirstUse<String, IOException> value = new OnFirstUse<>(() -> {
            if (makings.incrementAndGet() == 1) {
                throw new IOException("runc not found on PATH");
            }
            return "runc";
        });

        assertThatThrownBy(value::get).isInstanceOf(IOException.class).hasMessage("runc not found on PATH");
        assertThat(value.made()).isEmpty();
        assertThat(value.get()).isEqualTo("runc");
        assertThat(makings).hasValue(2);
    }

    @Test
    void aTakenValueIsGoneAndTheNextAskMakesANewOne() throws IOException {
        AtomicInteger makings = new AtomicInteger();
        OnFirstUse<String, IOException> value = new OnFirstUse<>(() -> "container " + makings.incrementAndGet());

        assertThat(value.take()).isEmpty();
        value.get();
        assertThat(value.take()).contains("container 1");
        assertThat(value.take()).isEmpty();
        assertThat(value.get()).isEqualTo("container 2");
    }

    @Test
    void aMakerThatMakesNothingIsAnError() {
        OnFirstUse<String, RuntimeException> value = new OnFirstUse<>(() -> null);

        assertThatThrownBy(value::get)
                .isInstanceOf(NullPointerException.class)
                .hasMessage("the value made on first use");
    }
}
