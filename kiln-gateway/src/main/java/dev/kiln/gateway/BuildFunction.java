package dev.kiln.gateway;

/**
 * A frontend: code that turns its inputs into a build result by talking to a {@link Client}.
 * The Dockerfile frontend is one; any Java program can be another.
 */
@FunctionalInterface
public interface BuildFunction {

    Result build(Client client) throws Exception;
}
