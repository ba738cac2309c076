package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An https server on 127.0.0.1 with a self-signed certificate made by the JDK's keytool. */
class DeferredTlsTest {

    private static final char[] PASSWORD = "kiln-test".toCharArray();

    @TempDir
    static Path dir;

    /** Certificates for 127.0.0.1, and one for another name served on 127.0.0.1. */
    private static KeyStore named;

    private static KeyStore misnamed;
    private static HttpsServer server;
    private static HttpsServer misnamedServer;

    @BeforeAll
    static void serve() throws Exception {
        named = keyStore("ip:127.0.0.1");
        misnamed = keyStore("dns:kiln-test.invalid");
        server = serve(named);
        misnamedServer = serve(misnamed);
    }

    @AfterAll
    static void stop() {
        server.stop(0);
        misnamedServer.stop(0);
    }

    private static KeyStore keyStore(String subjectAlternativeName) throws Exception {
        Path store = dir.resolve(subjectAlternativeName.replace(':', '-') + ".p12");
        Process keytool = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "keytool")
                                .toString(),
                        "-genkeypair",
                        "-alias",
                        "server",
                        "-keyalg",
                        "EC",
                        "-groupname",
                        "secp256r1",
                        "-dname",
                        "CN=kiln test",
                        "-ext",
                        "san=" + subjectAlternativeName,
                        "-validity",
                        "2",
                        "-storetype",
                        "PKCS12",
                        "-keystore",
                        store.toString(),
                        "-storepass",
                        new String(PASSWORD))
                .redirectErrorStream(true)
                .start();
        String said = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(keytool.exitValue()).as(said).isZero();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keys.load(in, PASSWORD);
        }
        return keys;
    }

    private static HttpsServer serve(KeyStore keys) throws Exception {
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, PASSWORD);
        SSLContext serverTls = SSLContext.getInstance("TLS");
        serverTls.init(keyManagers.getKeyManagers(), null, null);
        HttpsServer https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        https.setHttpsConfigurator(new HttpsConfigurator(serverTls));
        https.createContext("/", exchange -> {
            byte[] body = "over tls".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        https.start();
        return https;
    }

    private static HttpResponse<String> get(HttpsServer from) throws Exception {
        return get(DeferredTls.on(HttpClient.newBuilder()).build(), from);
    }

    private static HttpResponse<String> get(HttpClient client, HttpsServer from) throws Exception {
        URI uri = URI.create("https://127.0.0.1:" + from.getAddress().getPort() + "/");
        return client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Runs {@code body} with a JDK default context that trusts both test certificates. */
    private static void trustingTheTestCertificates(ThrowingRunnable body) throws Exception {
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("named", named.getCertificate("server"));
        trusted.setCertificateEntry("misnamed", misnamed.getCertificate("server"));
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext trusting = SSLContext.getInstance("TLS");
        trusting.init(null, trust.getTrustManagers(), null);
        SSLContext before = SSLContext.getDefault();
        SSLContext.setDefault(trusting);
        try {
            body.run();
        } finally {
            SSLContext.setDefault(before);
        }
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void aCertificateTheDefaultTrustStoreDoesNotHoldIsRefused() {
        assertThatThrownBy(() -> get(server))
                .isInstanceOf(SSLHandshakeException.class)
                .hasMessageContaining("PKIX");
    }

    @Test
    void theJdksDefaultContextWhenTheConnectionIsMadeIsTheOneUsed() throws Exception {
        // built before the default changes: a client given no context would keep the default of its build
        HttpClient client = DeferredTls.on(HttpClient.newBuilder()).build();
        trustingTheTestCertificates(() -> {
            HttpResponse<String> response = get(client, server);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("over tls");
            // the empty parameters leave the engine's defaults, not weaker ones
            assertThat(response.sslSession().orElseThrow().getProtocol()).isEqualTo("TLSv1.3");
        });
    }

    @Test
    void aTrustedCertificateForAnotherNameIsRefused() throws Exception {
        trustingTheTestCertificates(() -> assertThatThrownBy(() -> get(misnamedServer))
                .isInstanceOf(SSLHandshakeException.class)
                .hasMessageContaining("127.0.0.1"));
    }
}
