package dev.kiln.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

class RegistryEndpointTest {

    @Test
    void dockerHubApiIsRegistryOneOverHttps() {
        assertThat(RegistryEndpoint.of("docker.io", Set.of()).base()).hasToString("https://registry-1.docker.io");
    }

    @Test
    void loopbackRegistriesArePlainHttp() {
        assertThat(RegistryEndpoint.of("127.0.0.1:5000", Set.of()).base()).hasToString("http://127.0.0.1:5000");
        assertThat(RegistryEndpoint.of("localhost:5000", Set.of()).base()).hasToString("http://localhost:5000");
        assertThat(RegistryEndpoint.of("localhost", Set.of()).base()).hasToString("http://localhost");
        assertThat(RegistryEndpoint.of("[::1]:5000", Set.of()).base()).hasToString("http://[::1]:5000");
    }

    @Test
    void otherRegistriesAreHttpsUnlessDeclaredInsecure() {
        assertThat(RegistryEndpoint.of("registry.example:5000", Set.of()).base())
                .hasToString("https://registry.example:5000");
        assertThat(RegistryEndpoint.of("10.0.0.5:5000", Set.of()).base()).hasToString("https://10.0.0.5:5000");
        assertThat(RegistryEndpoint.of("registry.example:5000", Set.of("registry.example:5000"))
                        .base())
                .hasToString("http://registry.example:5000");
    }
}
