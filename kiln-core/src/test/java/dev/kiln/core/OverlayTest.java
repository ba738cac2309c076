package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The marker names are the ones the OCI image spec and overlayfs define; a layer written with others is unreadable. */
class OverlayTest {

    @Test
    void namesAreTheSpecsAndOverlayfss() {
        assertThat(Overlay.WHITEOUT_PREFIX + "gone").isEqualTo(".wh.gone");
        assertThat(Overlay.OPAQUE_MARKER).isEqualTo(".wh..wh..opq").startsWith(Overlay.META_PREFIX);
        assertThat(Overlay.OPAQUE_XATTR).isEqualTo("trusted.overlay.opaque").startsWith(Overlay.XATTR_PREFIX);
    }

    @Test
    void theOpaqueValueIsYAndCannotBeChangedByACaller() {
        byte[] value = Overlay.opaqueValue();
        assertThat(value).containsExactly('y');
        value[0] = 'n';
        assertThat(Overlay.opaqueValue()).containsExactly('y');
        assertThat(Overlay.isOpaqueValue(new byte[] {'y'})).isTrue();
        assertThat(Overlay.isOpaqueValue(new byte[] {'n'})).isFalse();
    }
}
