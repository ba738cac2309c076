package dev.kiln.engine;

import dev.kiln.engine.gateway.FrontendBridge;
import dev.kiln.gateway.BuildFunction;
import dev.kiln.gateway.Frontend;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The frontends an engine can run by name: those on the classpath that declare themselves as
 * {@link Frontend} services (the Dockerfile frontend does), plus {@code java:CLASS} for any
 * {@link BuildFunction} class with a public no-argument constructor. Frontend images ({@code gateway.v0}) run when a
 * {@link FrontendBridge} is on the classpath too (kiln-daemon's).
 */
public final class Frontends {

    private static final String JAVA_PREFIX = "java:";

    private final Map<String, Frontend> byName;
    private final ClassLoader loader;
    private final FrontendBridge bridge;

    private Frontends(Map<String, Frontend> byName, ClassLoader loader, FrontendBridge bridge) {
        this.byName = byName;
        this.loader = loader;
        this.bridge = bridge;
    }

    public static Frontends discover(ClassLoader loader) {
        Map<String, Frontend> found = new TreeMap<>();
        for (Frontend frontend : ServiceLoader.load(Frontend.class, loader)) {
            found.put(frontend.name(), frontend);
        }
        FrontendBridge bridge =
                ServiceLoader.load(FrontendBridge.class, loader).findFirst().orElse(null);
        return new Frontends(Map.copyOf(found), loader, bridge);
    }

    /** What serves the gateway to frontend images, when this engine can run them. */
    public Optional<FrontendBridge> bridge() {
        return Optional.ofNullable(bridge);
    }

    public Optional<BuildFunction> lookup(String name) {
        if (name.startsWith(JAVA_PREFIX)) {
            return Optional.of(instantiate(name.substring(JAVA_PREFIX.length())));
        }
        return Optional.ofNullable(byName.get(name)).map(Frontend::function);
    }

    public java.util.Set<String> names() {
        return byName.keySet();
    }

    private BuildFunction instantiate(String className) {
        Class<?> type;
        try {
            type = Class.forName(className, true, loader);
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException(
                    "frontend class " + className + " is not on the classpath"
                            + " (add its jar with --frontend-classpath)",
                    e);
        }
        if (!BuildFunction.class.isAssignableFrom(type)) {
            throw new IllegalArgumentException(
                    "frontend class " + className + " does not implement " + BuildFunction.class.getName());
        }
        try {
            return (BuildFunction) type.getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException(
                    "frontend class " + className + " needs a public no-argument constructor: " + e, e);
        }
    }
}
