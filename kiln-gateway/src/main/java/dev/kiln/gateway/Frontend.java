package dev.kiln.gateway;

/**
 * A frontend an engine can find by name, declared as a {@code java.util.ServiceLoader} service
 * ({@code META-INF/services/dev.kiln.gateway.Frontend}); for example {@code dockerfile.v0}.
 */
public interface Frontend {

    String name();

    BuildFunction function();
}
