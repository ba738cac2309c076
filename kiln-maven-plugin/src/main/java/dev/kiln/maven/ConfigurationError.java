package dev.kiln.maven;

/**
 * A configuration the plugin cannot build from, naming the POM element at fault ({@code <to><image>},
 * {@code <container><mainClass>}, ...) and what to do. The mojos turn it into a Maven failure without a stack trace.
 */
public final class ConfigurationError extends Exception {

    private final String element;

    public ConfigurationError(String element, String message) {
        super(element + ": " + message);
        this.element = element;
    }

    /** The element at fault, as the POM writes it, e.g. {@code <to><image>}. */
    public String element() {
        return element;
    }
}
