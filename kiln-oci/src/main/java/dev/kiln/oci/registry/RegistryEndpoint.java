package dev.kiln.oci.registry;

import java.net.URI;
import java.util.Set;

/**
 * Where a registry's API is: HTTPS, except for loopback registries and those the user declared insecure; Docker
 * Hub's API host for docker.io.
 *
 * @param registry the registry as image references name it
 * @param base the scheme and authority API calls go to
 */
record RegistryEndpoint(String registry, URI base) {
    static final String DOCKER_HUB = "docker.io";
    static final String DOCKER_HUB_API = "registry-1.docker.io";

    static RegistryEndpoint of(String registry, Set<String> insecure) {
        String host = registry.equals(DOCKER_HUB) ? DOCKER_HUB_API : registry;
        boolean plain = insecure.contains(registry) || isLoopback(registry);
        return new RegistryEndpoint(registry, URI.create((plain ? "http://" : "https://") + host));
    }

    boolean plainHttp() {
        return base.getScheme().equals("http");
    }

    /** An API URI, e.g. {@code uri("/v2/app/manifests/1.0")}. */
    URI uri(String pathAndQuery) {
        return URI.create(base + pathAndQuery);
    }

    boolean sameOrigin(URI uri) {
        return base.getScheme().equalsIgnoreCase(uri.getScheme())
                && base.getRawAuthority().equalsIgnoreCase(uri.getRawAuthority());
    }

    static boolean isLoopback(String registry) {
        String host = registry;
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            host = end < 0 ? host : host.substring(1, end);
        } else {
            int colon = host.lastIndexOf(':');
            host = colon < 0 ? host : host.substring(0, colon);
        }
        return host.equals("localhost")
                || host.endsWith(".localhost")
                || host.equals("::1")
                || host.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }
}
