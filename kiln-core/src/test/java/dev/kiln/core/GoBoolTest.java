package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class GoBoolTest {

    @Test
    void readsEverySpellingOfStrconvParseBoolAndNothingElse() {
        for (String yes : new String[] {"1", "t", "T", "true", "TRUE", "True"}) {
            assertThat(GoBool.parse(yes)).as(yes).contains(true);
        }
        for (String no : new String[] {"0", "f", "F", "false", "FALSE", "False"}) {
            assertThat(GoBool.parse(no)).as(no).contains(false);
            assertThat(GoBool.isFalse(no)).as(no).isTrue();
        }
        for (String neither : new String[] {"", "yes", "tRUE", " true", "2"}) {
            assertThat(GoBool.parse(neither)).as(neither).isEqualTo(Optional.empty());
        }
        assertThat(GoBool.isFalse(null)).isFalse();
        assertThat(GoBool.isFalse("")).isFalse();
    }
}
