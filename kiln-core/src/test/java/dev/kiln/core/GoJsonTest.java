package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Strings come out byte for byte as Go's json.Marshal writes them (Go 1.22 and later), since digests depend on it. */
class GoJsonTest {

    @Test
    void htmlSignificantCharactersAreEscapedAsGoDoes() {
        // json.Marshal("<a href=\"x\">&</a>")
        assertThat(GoJson.string("<a href=\"x\">&</a>"))
                .isEqualTo("\"\\u003ca href=\\\"x\\\"\\u003e\\u0026\\u003c/a\\u003e\"");
    }

    @Test
    void controlCharactersUseShortNamesWhereGoHasThemAndLowercaseHexElsewhere() {
        // json.Marshal("\b\f\n\r\t\x00\x1f\x7f\\")
        assertThat(GoJson.string("\b\f\n\r\t\u0000\u001f\u007f\\"))
                .isEqualTo("\"\\b\\f\\n\\r\\t\\u0000\\u001f\u007f\\\\\"");
    }

    @Test
    void lineAndParagraphSeparatorsAreEscapedOtherUnicodeIsNot() {
        // json.Marshal("\u2028\u2029é😀")
        assertThat(GoJson.string("\u2028\u2029é😀")).isEqualTo("\"\\u2028\\u2029é😀\"");
    }

    @Test
    void stringArrayIsCompact() {
        assertThat(GoJson.stringArray(List.of("a", "*.go", "x&y"))).isEqualTo("[\"a\",\"*.go\",\"x\\u0026y\"]");
        assertThat(GoJson.stringArray(List.of())).isEqualTo("[]");
    }
}
