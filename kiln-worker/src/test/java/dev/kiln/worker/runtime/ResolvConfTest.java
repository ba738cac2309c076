package dev.kiln.worker.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The container's resolv.conf as BuildKit derives it from the host's. */
class ResolvConfTest {
    private static final String SYSTEMD_STUB = """
      # This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).
      nameserver 127.0.0.53
      options edns0 trust-ad
      search corp.example
      """;

    @Test
    void hostNetworkKeepsALocalResolverAndDropsComments() {
        assertThat(ResolvConf.forContainer(SYSTEMD_STUB, NetworkMode.HOST)).isEqualTo("""
        nameserver 127.0.0.53
        search corp.example
        options edns0 trust-ad
        """);
    }

    @Test
    void ownNetworkDropsLoopbackNameserversAndFallsBackToPublicOnes() {
        assertThat(ResolvConf.forContainer(SYSTEMD_STUB, NetworkMode.NONE)).isEqualTo("""
        nameserver 8.8.8.8
        nameserver 8.8.4.4
        nameserver 2001:4860:4860::8888
        nameserver 2001:4860:4860::8844
        search corp.example
        options edns0 trust-ad
        """);
    }

    @Test
    void ownNetworkKeepsReachableNameserversInOrder() {
        String host = """
        nameserver 10.0.0.2
        nameserver ::1
        nameserver not-an-address
        nameserver 192.168.1.1
        domain old.example
        search a.example b.example
        options ndots:2
        options rotate
        sortlist 10.0.0.0/255.0.0.0
        """;

        assertThat(ResolvConf.forContainer(host, NetworkMode.NONE)).isEqualTo("""
        nameserver 10.0.0.2
        nameserver 192.168.1.1
        search a.example b.example
        options ndots:2 rotate
        sortlist 10.0.0.0/255.0.0.0
        """);
    }

    @Test
    void hostWithoutNameserversGetsThePublicOnesInEveryNetwork() {
        assertThat(ResolvConf.forContainer("", NetworkMode.HOST)).startsWith("nameserver 8.8.8.8\n");
        assertThat(ResolvConf.forContainer("", NetworkMode.NONE)).startsWith("nameserver 8.8.8.8\n");
    }
}
