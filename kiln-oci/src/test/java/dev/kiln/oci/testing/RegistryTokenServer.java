package dev.kiln.oci.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A token server for docker-registry's {@code auth: token} mode, on 127.0.0.1: it answers
 * {@code GET /token?service=..&scope=..} with a JWT signed (RS256) by an RSA key whose self-signed certificate is
 * the registry's {@code rootcertbundle}; the certificate rides in the token's {@code x5c} header. Every scope asked
 * for is granted, to the configured user only when credentials are required.
 */
public final class RegistryTokenServer implements AutoCloseable {
    public static final String SERVICE = "kiln-test-registry";
    public static final String ISSUER = "kiln-test-token-issuer";

    private final HttpServer server;
    private final Signer signer;
    private final List<List<String>> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger issued = new AtomicInteger();
    private volatile String user;
    private volatile String password;
    private volatile boolean accessTokenField;
    private volatile long expiresInSeconds = 300;

    private RegistryTokenServer(HttpServer server, Signer signer) {
        this.server = server;
        this.signer = signer;
    }

    /** The RSA key tokens are signed with, its self-signed certificate, and that certificate as a PEM file. */
    private record Signer(PrivateKey key, X509Certificate certificate, Path pem) {
        private static final String STORE_PASSWORD = "kiln-test";

        /** Makes the key and certificate in {@code directory} with the JDK's keytool. */
        static Signer make(Path directory) throws IOException {
            Path keystore = directory.resolve("token-signer.p12");
            Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
            Process process = new ProcessBuilder(
                            keytool.toString(),
                            "-genkeypair",
                            "-alias",
                            "signer",
                            "-keyalg",
                            "RSA",
                            "-keysize",
                            "2048",
                            "-sigalg",
                            "SHA256withRSA",
                            "-dname",
                            "CN=" + ISSUER,
                            "-startdate",
                            "-1d",
                            "-validity",
                            "30",
                            "-storetype",
                            "PKCS12",
                            "-keystore",
                            keystore.toString(),
                            "-storepass",
                            STORE_PASSWORD,
                            "-keypass",
                            STORE_PASSWORD)
                    .redirectErrorStream(true)
                    .start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            try {
                if (process.waitFor() != 0) {
                    throw new IOException("keytool could not make the token signing key: " + output);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted making the token signing key", e);
            }
            try {
                KeyStore store = KeyStore.getInstance("PKCS12");
                try (InputStream in = Files.newInputStream(keystore)) {
                    store.load(in, STORE_PASSWORD.toCharArray());
                }
                PrivateKey key = (PrivateKey) store.getKey("signer", STORE_PASSWORD.toCharArray());
                X509Certificate certificate = (X509Certificate) store.getCertificate("signer");
                Path pem = directory.resolve("token-signer.pem");
                Files.writeString(
                        pem,
                        "-----BEGIN CERTIFICATE-----\n"
                                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(certificate.getEncoded())
                                + "\n-----END CERTIFICATE-----\n");
                return new Signer(key, certificate, pem);
            } catch (IOException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException("cannot load the token signing key from " + keystore, e);
            }
        }
    }

    /** Makes a key and certificate in {@code directory} with the JDK's keytool and starts serving. */
    public static RegistryTokenServer start(Path directory) throws IOException {
        Signer signer = Signer.make(directory);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        RegistryTokenServer tokens = new RegistryTokenServer(server, signer);
        server.createContext("/token", tokens::answer);
        server.start();
        return tokens;
    }

    /** Issue tokens only to {@code name} with {@code secret} (HTTP Basic on the token request). */
    public RegistryTokenServer requireCredentials(String name, String secret) {
        this.user = name;
        this.password = secret;
        return this;
    }

    /** Answer with OAuth's "access_token" field instead of "token". */
    public RegistryTokenServer answerWithAccessTokenField(boolean value) {
        this.accessTokenField = value;
        return this;
    }

    public RegistryTokenServer expiresIn(long seconds) {
        this.expiresInSeconds = seconds;
        return this;
    }

    /** The realm URL for the registry's config and its challenges. */
    public String realm() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    /** The PEM certificate the registry trusts ({@code rootcertbundle}). */
    public Path certificate() {
        return signer.pem();
    }

    /** The scopes of each token request, in order. */
    public List<List<String>> requests() {
        return List.copyOf(requests);
    }

    public int tokensIssued() {
        return issued.get();
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void answer(HttpExchange exchange) throws IOException {
        try (exchange) {
            List<String> scopes = new ArrayList<>();
            String account = "anonymous";
            String query = exchange.getRequestURI().getRawQuery();
            if (query != null) {
                for (String parameter : query.split("&")) {
                    int equals = parameter.indexOf('=');
                    String name = equals < 0 ? parameter : parameter.substring(0, equals);
                    String value = equals < 0
                            ? ""
                            : URLDecoder.decode(parameter.substring(equals + 1), StandardCharsets.UTF_8);
                    if (name.equals("scope")) {
                        scopes.addAll(List.of(value.split(" ")));
                    }
                }
            }
            requests.add(List.copyOf(scopes));
            if (user != null) {
                String expected = "Basic "
                        + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
                if (!expected.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                    send(
                            exchange,
                            401,
                            "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"wrong or missing credentials\"}]}");
                    return;
                }
                account = user;
            }
            Instant now = Instant.now();
            String token = sign(account, scopes, now);
            issued.incrementAndGet();
            send(
                    exchange,
                    200,
                    "{\"" + (accessTokenField ? "access_token" : "token") + "\":\"" + token + "\",\"expires_in\":"
                            + expiresInSeconds + ",\"issued_at\":\"" + now + "\"}");
        }
    }

    private String sign(String account, List<String> scopes, Instant now) throws IOException {
        StringBuilder access = new StringBuilder("[");
        for (String scope : scopes) {
            int first = scope.indexOf(':');
            int last = scope.lastIndexOf(':');
            if (first < 0 || last == first) {
                continue;
            }
            if (access.length() > 1) {
                access.append(',');
            }
            access.append("{\"type\":\"")
                    .append(scope, 0, first)
                    .append("\",\"name\":\"")
                    .append(scope, first + 1, last)
                    .append("\",\"actions\":[");
            String[] actions = scope.substring(last + 1).split(",");
            for (int i = 0; i < actions.length; i++) {
                access.append(i == 0 ? "" : ",").append('"').append(actions[i]).append('"');
            }
            access.append("]}");
        }
        access.append(']');
        try {
            String header = "{\"typ\":\"JWT\",\"alg\":\"RS256\",\"x5c\":[\""
                    + Base64.getEncoder().encodeToString(signer.certificate().getEncoded()) + "\"]}";
            String claims = "{\"iss\":\"" + ISSUER + "\",\"sub\":\"" + account + "\",\"aud\":\"" + SERVICE
                    + "\",\"exp\":"
                    + (now.getEpochSecond() + expiresInSeconds) + ",\"nbf\":" + (now.getEpochSecond() - 10)
                    + ",\"iat\":"
                    + now.getEpochSecond() + ",\"jti\":\"" + UUID.randomUUID() + "\",\"access\":" + access + "}";
            Base64.Encoder url = Base64.getUrlEncoder().withoutPadding();
            String signed = url.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                    + url.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
            Signature signature = Signature.getInstance("SHA256withRSA");
            signature.initSign(signer.key());
            signature.update(signed.getBytes(StandardCharsets.US_ASCII));
            return signed + "." + url.encodeToString(signature.sign());
        } catch (Exception e) {
            throw new IOException("cannot sign a registry token", e);
        }
    }

    private static void send(HttpExchange exchange, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().put("Content-Type", List.of("application/json"));
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /** The registry config fragment that points docker-registry at this server. */
    Map<String, String> registryAuthSettings() {
        return Map.of(
                "realm",
                realm(),
                "service",
                SERVICE,
                "issuer",
                ISSUER,
                "rootcertbundle",
                signer.pem().toString());
    }
}
