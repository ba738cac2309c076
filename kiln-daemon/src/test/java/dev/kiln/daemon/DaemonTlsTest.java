package dev.kiln.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.api.control.ControlGrpc;
import dev.kiln.api.control.ListWorkersRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A daemon on tcp takes only clients with a certificate of its CA (mutual TLS, as buildkitd's --tlscacert), and
 * refuses to listen on tcp without TLS. Certificates are made by openssl for each run.
 */
class DaemonTlsTest {

    @TempDir
    Path dir;

    @Test
    void aTcpDaemonServesClientsWithACertificateOfItsCaOnly() throws Exception {
        Path certs = Files.createDirectories(dir.resolve("certs"));
        makeCertificates(certs);
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        DaemonConfig config = DaemonConfig.defaults(dir.resolve("state"))
                .withAddresses(List.of("tcp://127.0.0.1:" + port))
                .withTls(new DaemonConfig.TlsFiles(
                        certs.resolve("ca.pem"), certs.resolve("server.pem"), certs.resolve("server.key")));
        try (KilnDaemon daemon = KilnDaemon.start(config, new PrintStream(new ByteArrayOutputStream()))) {
            SslContext withCertificate = GrpcSslContexts.forClient()
                    .trustManager(certs.resolve("ca.pem").toFile())
                    .keyManager(
                            certs.resolve("client.pem").toFile(),
                            certs.resolve("client.key").toFile())
                    .build();
            assertThat(workers(port, withCertificate)).isEqualTo(1);

            SslContext withoutCertificate = GrpcSslContexts.forClient()
                    .trustManager(certs.resolve("ca.pem").toFile())
                    .build();
            assertThatThrownBy(() -> workers(port, withoutCertificate))
                    .isInstanceOf(StatusRuntimeException.class)
                    .hasMessageContaining("UNAVAILABLE");
        }
    }

    @Test
    void aTcpAddressWithoutTlsIsRefusedWithTheFlagsToGive() {
        DaemonConfig config = DaemonConfig.defaults(dir.resolve("state")).withAddresses(List.of("tcp://127.0.0.1:1"));
        assertThatThrownBy(() -> KilnDaemon.start(config, new PrintStream(new ByteArrayOutputStream())))
                .hasMessageContaining("needs mutual TLS: give --tlscacert, --tlscert and --tlskey");
    }

    private static int workers(int port, SslContext ssl) throws InterruptedException {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port)
                .sslContext(ssl)
                .build();
        try {
            return ControlGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(20, TimeUnit.SECONDS)
                    .listWorkers(ListWorkersRequest.getDefaultInstance())
                    .getRecordCount();
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** A CA, a server certificate for 127.0.0.1 and a client certificate, each signed by the CA. */
    private static void makeCertificates(Path dir) throws IOException, InterruptedException {
        openssl(
                dir,
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "1",
                "-subj",
                "/CN=kiln test CA");
        for (String name : List.of("server", "client")) {
            openssl(
                    dir,
                    "req",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-keyout",
                    name + ".key",
                    "-out",
                    name + ".csr",
                    "-subj",
                    "/CN=kiln test " + name);
            Files.writeString(
                    dir.resolve(name + ".ext"),
                    name.equals("server")
                            ? "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
                            : "extendedKeyUsage=clientAuth\n");
            openssl(
                    dir,
                    "x509",
                    "-req",
                    "-in",
                    name + ".csr",
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-out",
                    name + ".pem",
                    "-days",
                    "1",
                    "-extfile",
                    name + ".ext");
        }
    }

    private static void openssl(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IOException("openssl " + String.join(" ", args) + " failed: " + output);
        }
    }
}
