package dev.kiln.api.http2;

import io.grpc.Metadata;
import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * gRPC's mapping between HTTP/2 header fields and {@link Metadata}/{@link Status} (the gRPC over HTTP/2
 * protocol document): request headers out, response headers and trailers in. Binary ({@code -bin}) values
 * travel base64 encoded, several values of one key joined by commas; grpc-message is percent-encoded UTF-8.
 */
final class GrpcHeaders {

    static final String USER_AGENT = "kiln-http2";
    private static final Base64.Encoder BASE64 = Base64.getEncoder().withoutPadding();
    private static final Base64.Decoder UNBASE64 = Base64.getDecoder();

    private GrpcHeaders() {}

    /**
     * The request's header block: pseudo-headers, gRPC's own headers, then the application's metadata ({@code md}, or
     * null for none).
     */
    static byte[] request(String path, String authority, long timeoutNanos, Metadata md) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        Hpack.writeIndexed(out, Hpack.INDEX_METHOD_POST);
        Hpack.writeIndexed(out, Hpack.INDEX_SCHEME_HTTP);
        Hpack.writeLiteral(out, Hpack.INDEX_PATH, path);
        Hpack.writeLiteral(out, Hpack.INDEX_AUTHORITY, authority);
        Hpack.writeLiteral(out, Hpack.INDEX_CONTENT_TYPE, "application/grpc");
        Hpack.writeLiteral(out, "te", "trailers");
        Hpack.writeLiteral(out, Hpack.INDEX_USER_AGENT, USER_AGENT);
        if (timeoutNanos >= 0) {
            Hpack.writeLiteral(out, "grpc-timeout", timeout(timeoutNanos));
        }
        for (String name : md == null ? java.util.Set.<String>of() : md.keys()) {
            if (reserved(name)) {
                continue;
            }
            if (name.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                for (byte[] v : md.getAll(Metadata.Key.of(name, Metadata.BINARY_BYTE_MARSHALLER))) {
                    Hpack.writeLiteral(out, name, BASE64.encodeToString(v));
                }
            } else {
                for (String v : md.getAll(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER))) {
                    Hpack.writeLiteral(out, name, v);
                }
            }
        }
        return out.toByteArray();
    }

    /** Headers the transport owns: an application's value for them would contradict ours. */
    private static boolean reserved(String name) {
        return name.startsWith(":")
                || name.equals("content-type")
                || name.equals("te")
                || name.equals("user-agent")
                || name.equals("grpc-timeout")
                || name.equals("grpc-encoding")
                || name.equals("grpc-accept-encoding");
    }

    /** grpc-timeout: at most 8 digits, in the finest unit that fits. */
    static String timeout(long nanos) {
        long n = Math.max(nanos, 1);
        long[] units = {1L, 1_000L, 1_000_000L, 1_000_000_000L, 60_000_000_000L, 3_600_000_000_000L};
        char[] names = {'n', 'u', 'm', 'S', 'M', 'H'};
        for (int i = 0; i < units.length; i++) {
            long v = (n + units[i] - 1) / units[i];
            if (v < 100_000_000L) {
                return v + String.valueOf(names[i]);
            }
        }
        return "99999999H";
    }

    /** The value of the first field named {@code name}, or null. */
    static String get(List<String> fields, String name) {
        for (int i = 0; i < fields.size(); i += 2) {
            if (fields.get(i).equals(name)) {
                return fields.get(i + 1);
            }
        }
        return null;
    }

    /** Fields as Metadata; for trailers without the status fields, which become the Status instead. */
    static Metadata metadata(List<String> fields, boolean trailers) {
        Metadata md = new Metadata();
        for (int i = 0; i < fields.size(); i += 2) {
            String name = fields.get(i);
            String value = fields.get(i + 1);
            if (name.startsWith(":") || trailers && (name.equals("grpc-status") || name.equals("grpc-message"))) {
                continue;
            }
            try {
                if (name.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                    Metadata.Key<byte[]> key = Metadata.Key.of(name, Metadata.BINARY_BYTE_MARSHALLER);
                    int start = 0;
                    while (start <= value.length()) {
                        int comma = value.indexOf(',', start);
                        int end = comma < 0 ? value.length() : comma;
                        md.put(key, UNBASE64.decode(value.substring(start, end).trim()));
                        start = end + 1;
                    }
                } else {
                    md.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value);
                }
            } catch (IllegalArgumentException e) {
                // A name Metadata refuses or bad base64: grpc-java drops such a field too rather than fail the call.
            }
        }
        return md;
    }

    /**
     * Why a response's first HEADERS (without END_STREAM) cannot begin a gRPC answer: an HTTP status other than 200,
     * or a content type that is not gRPC's; null when it can.
     */
    static Status unusableResponse(List<String> fields) {
        String http = get(fields, ":status");
        if (!"200".equals(http)) {
            return httpStatus(String.valueOf(http)).withDescription("HTTP status code " + http);
        }
        String type = get(fields, "content-type");
        if (type == null || !type.startsWith("application/grpc")) {
            return Status.UNKNOWN.withDescription("invalid content-type: " + type);
        }
        return null;
    }

    /** The call's Status from its trailers (or a Trailers-Only response's headers). */
    static Status status(List<String> fields) {
        String code = get(fields, "grpc-status");
        if (code == null) {
            String http = get(fields, ":status");
            if (http != null && !http.equals("200")) {
                return httpStatus(http).withDescription("HTTP status code " + http + " without grpc-status");
            }
            return Status.UNKNOWN.withDescription("missing grpc-status in the response");
        }
        Status status;
        try {
            status = Status.fromCodeValue(Integer.parseInt(code));
        } catch (NumberFormatException e) {
            return Status.UNKNOWN.withDescription("invalid grpc-status: " + code);
        }
        String message = get(fields, "grpc-message");
        return message == null ? status : status.withDescription(percentDecode(message));
    }

    /** The gRPC code for an HTTP status without a grpc-status (the gRPC HTTP-to-gRPC mapping). */
    static Status httpStatus(String http) {
        return switch (http) {
            case "400" -> Status.INTERNAL;
            case "401" -> Status.UNAUTHENTICATED;
            case "403" -> Status.PERMISSION_DENIED;
            case "404" -> Status.UNIMPLEMENTED;
            case "429", "502", "503", "504" -> Status.UNAVAILABLE;
            default -> Status.UNKNOWN;
        };
    }

    /** The Status for a peer's RST_STREAM error code, as grpc-java maps it. */
    static Status resetStatus(int code) {
        Status s = switch (code) {
            case Frame.REFUSED_STREAM -> Status.UNAVAILABLE;
            case Frame.CANCEL -> Status.CANCELLED;
            case Frame.ENHANCE_YOUR_CALM -> Status.RESOURCE_EXHAUSTED;
            case Frame.INADEQUATE_SECURITY -> Status.PERMISSION_DENIED;
            case Frame.HTTP_1_1_REQUIRED -> Status.UNKNOWN;
            default -> Status.INTERNAL;
        };
        return s.withDescription("stream reset by the server with HTTP/2 error code " + code);
    }

    static String percentDecode(String s) {
        if (s.indexOf('%') < 0) {
            return new String(s.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
        }
        byte[] out = new byte[s.length()];
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length()) {
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi >= 0 && lo >= 0) {
                    out[n++] = (byte) (hi << 4 | lo);
                    i += 2;
                    continue;
                }
            }
            out[n++] = (byte) c;
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }
}
