package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ImageReferenceTest {

    private static final String DIGEST = "sha256:82d1e9d7ed48a7523bdebc18cf6290bdb97b82302a8a9c27d4fe885949ea94d1";

    @ParameterizedTest
    @CsvSource({
        "busybox, docker.io/library/busybox:latest",
        "busybox:1.36, docker.io/library/busybox:1.36",
        "library/busybox, docker.io/library/busybox:latest",
        "docker.io/busybox, docker.io/library/busybox:latest",
        "index.docker.io/library/busybox, docker.io/library/busybox:latest",
        "myorg/app, docker.io/myorg/app:latest",
        "localhost/app, localhost/app:latest",
        "localhost:5000/app, localhost:5000/app:latest",
        "127.0.0.1:5000/team/app:v1, 127.0.0.1:5000/team/app:v1",
        "ghcr.io/owner/img:2.0-rc.1, ghcr.io/owner/img:2.0-rc.1",
    })
    void referencesAreQualifiedLikeDockerDoes(String written, String qualified) {
        assertThat(ImageReference.parseNormalized(written).withDefaultTag()).hasToString(qualified);
    }

    @Test
    void aDigestIsKeptAndNeedsNoTag() {
        assertThat(ImageReference.parseNormalized("alpine@" + DIGEST).withDefaultTag())
                .hasToString("docker.io/library/alpine@" + DIGEST);
        ImageReference both = ImageReference.parseNormalized("alpine:3.18@" + DIGEST);
        assertThat(both.tag()).isEqualTo("3.18");
        assertThat(both.digest()).isEqualTo(DIGEST);
        assertThat(both.name()).isEqualTo("docker.io/library/alpine");
    }

    @Test
    void invalidReferencesSayWhy() {
        assertThatThrownBy(() -> ImageReference.parseNormalized("Busybox"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("repository name (library/Busybox) must be lowercase");
        assertThatThrownBy(() -> ImageReference.parseNormalized(DIGEST.substring(7)))
                .hasMessageContaining("image ID");
        assertThatThrownBy(() -> ImageReference.parseNormalized("busybox:"))
                .hasMessageContaining("[registry/]repository[:tag][@digest]");
        assertThatThrownBy(() -> ImageReference.parseNormalized("alpine@sha256:abcd"))
                .hasMessageContaining("invalid image reference");
    }
}
