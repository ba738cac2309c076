package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Platforms are normalised like containerd's platforms.Normalize, because the normalised form lands in an op. */
class PlatformTest {

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource({
        "linux/amd64, linux/amd64",
        "linux/x86_64, linux/amd64",
        "linux/aarch64, linux/arm64",
        "linux/arm64/v8, linux/arm64",
        "linux/armhf, linux/arm/v7",
        "linux/arm, linux/arm/v7",
        "linux/arm/6, linux/arm/v6",
        "linux/i386, linux/386",
        "macos/arm64, darwin/arm64",
    })
    void parseNormalisesLikeContainerd(String written, String normal) {
        assertThat(Platform.parse(written)).hasToString(normal);
    }

    @Test
    void parseNamesTheExpectedForm() {
        assertThatThrownBy(() -> Platform.parse("linux"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid platform \"linux\" (expected os/arch or os/arch/variant)");
    }

    @Test
    void missingPartsAreEmptyAndFeaturesSorted() {
        Platform platform = new Platform("windows", "amd64", null, null, List.of("win32k", "a")).normalize();
        assertThat(platform.variant()).isEmpty();
        assertThat(platform.osVersion()).isEmpty();
        assertThat(platform.osFeatures()).containsExactly("a", "win32k");
    }

    @Test
    void theDefaultPathIsBuildKits() {
        assertThat(Platform.DEFAULT_UNIX_PATH)
                .isEqualTo("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    }
}
