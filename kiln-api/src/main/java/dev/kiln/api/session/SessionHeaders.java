package dev.kiln.api.session;

import io.grpc.Metadata;
import java.util.List;

/**
 * The headers a client sends on Control.Session to describe the gRPC server it runs at its end of the session
 * (BuildKit's session.go): the session's id, name and shared key, and one header per method it serves, each
 * in the form {@link #methodUrl}. The daemon only calls methods a client listed.
 */
public final class SessionHeaders {

    public static final Metadata.Key<String> UUID = key("X-Docker-Expose-Session-Uuid");
    public static final Metadata.Key<String> NAME = key("X-Docker-Expose-Session-Name");
    public static final Metadata.Key<String> SHARED_KEY = key("X-Docker-Expose-Session-Sharedkey");
    /** Multi-valued: one value per method the client serves. */
    public static final Metadata.Key<String> GRPC_METHOD = key("X-Docker-Expose-Session-Grpc-Method");

    private SessionHeaders() {}

    /** A method as BuildKit names it in {@link #GRPC_METHOD}: "/" + full service name + "/" + method name. */
    public static String methodUrl(String service, String method) {
        return "/" + service + "/" + method;
    }

    /** The headers of a client's Session call. */
    public static Metadata of(String uuid, String name, String sharedKey, List<String> methods) {
        Metadata md = new Metadata();
        md.put(UUID, uuid);
        md.put(NAME, name);
        md.put(SHARED_KEY, sharedKey);
        for (String m : methods) {
            md.put(GRPC_METHOD, m);
        }
        return md;
    }

    private static Metadata.Key<String> key(String name) {
        return Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
    }
}
