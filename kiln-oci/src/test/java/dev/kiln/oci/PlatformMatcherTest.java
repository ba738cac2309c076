package dev.kiln.oci;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Digest;
import dev.kiln.core.Platform;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlatformMatcherTest {

    @Test
    void spellingsOfTheSameArchitectureMatch() {
        assertThat(PlatformMatcher.of(Platform.parse("linux/amd64")).matches(Platform.of("linux", "x86_64")))
                .isTrue();
        assertThat(PlatformMatcher.of(Platform.parse("linux/aarch64")).matches(Platform.of("linux", "arm64", "v8")))
                .isTrue();
        assertThat(PlatformMatcher.of(Platform.parse("linux/arm64/v8")).matches(Platform.of("linux", "arm64")))
                .isTrue();
        assertThat(PlatformMatcher.of(Platform.of("linux", "arm")).matches(Platform.of("linux", "arm", "v7")))
                .isTrue();
        assertThat(PlatformMatcher.of(Platform.of("linux", "arm", "v7")).matches(Platform.of("linux", "armhf")))
                .isTrue();
    }

    @Test
    void olderVariantsRunOnNewerOnesButNotTheOtherWay() {
        PlatformMatcher armV7 = PlatformMatcher.of(Platform.parse("linux/arm/v7"));
        assertThat(armV7.matches(Platform.parse("linux/arm/v6"))).isTrue();
        assertThat(armV7.matches(Platform.parse("linux/arm/v8"))).isFalse();
        assertThat(PlatformMatcher.of(Platform.parse("linux/arm64")).preference().stream()
                        .map(Platform::toString))
                .containsExactly("linux/arm64", "linux/arm/v8", "linux/arm/v7", "linux/arm/v6", "linux/arm/v5");
        assertThat(PlatformMatcher.of(Platform.parse("linux/amd64/v3")).preference().stream()
                        .map(Platform::toString))
                .containsExactly("linux/amd64/v3", "linux/amd64/v2", "linux/amd64", "linux/386");
        assertThat(PlatformMatcher.of(Platform.parse("linux/amd64")).matches(Platform.parse("windows/amd64")))
                .isFalse();
    }

    @Test
    void exactMatcherDoesNotFallBack() {
        PlatformMatcher exact = PlatformMatcher.exactly(Platform.parse("linux/amd64"));

        assertThat(exact.matches(Platform.parse("linux/386"))).isFalse();
        assertThat(exact.matches(Platform.of("linux", "x86_64"))).isTrue();
    }

    @Test
    void selectPrefersTheClosestPlatformThenTheFirstListed() {
        Descriptor i386 = manifest("a", Platform.parse("linux/386"));
        Descriptor amd64 = manifest("b", Platform.parse("linux/amd64"));
        Descriptor amd64Again = manifest("c", Platform.of("linux", "x86_64"));
        Descriptor attestation = manifest("d", null);

        PlatformMatcher matcher = PlatformMatcher.of(Platform.parse("linux/amd64"));

        assertThat(matcher.select(List.of(attestation, i386, amd64, amd64Again)))
                .contains(amd64);
        assertThat(matcher.select(List.of(i386, attestation))).contains(i386);
        assertThat(matcher.select(List.of(attestation))).isEmpty();
    }

    private static Descriptor manifest(String seed, Platform platform) {
        Descriptor descriptor = Descriptor.of(MediaTypes.OCI_MANIFEST, Digest.sha256(seed.getBytes()), 1);
        return platform == null ? descriptor : descriptor.withPlatform(platform);
    }
}
