package dev.kiln.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.ImageReference;
import dev.kiln.core.Platform;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.content.ContentStore;
import dev.kiln.oci.testing.LocalRegistry;
import dev.kiln.oci.testing.RegistryTokenServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenAuthRegistryTest {
    private static final Platform AMD64 = Platform.parse("linux/amd64");

    private static Path keys;
    private static RegistryTokenServer tokens;
    private static LocalRegistry registry;

    @TempDir
    Path dir;

    @BeforeAll
    static void startRegistry() throws IOException {
        keys = Files.createTempDirectory("kiln-token-keys-");
        tokens = RegistryTokenServer.start(keys);
        registry = LocalRegistry.withTokenAuth(tokens).start();
    }

    @AfterAll
    static void stopRegistry() throws IOException {
        registry.close();
        tokens.close();
        for (Path file : List.of(keys.resolve("token-signer.p12"), keys.resolve("token-signer.pem"), keys)) {
            Files.deleteIfExists(file);
        }
    }

    @BeforeEach
    void anonymousTokens() {
        tokens.requireCredentials(null, null).answerWithAccessTokenField(false);
    }

    @Test
    void pushAndPullFollowTheChallengeWithTokensForTheRightScopes() throws IOException {
        ContentStore local = ContentStore.open(dir.resolve("local"));
        TestImage image = TestImage.make(local, AMD64, 31, 2048);
        ImageReference reference = registry.reference("tokens/app:1");
        int before = tokens.requests().size();

        try (RegistryClient client = RegistryClient.builder().build()) {
            Descriptor pushed = image.push(client, reference, local);
            ResolvedImage pulled = client.pull(reference, AMD64, ContentStore.open(dir.resolve("pulled")));
            assertThat(pulled.root().descriptor()).isEqualTo(pushed);
        }

        List<List<String>> asked =
                tokens.requests().subList(before, tokens.requests().size());
        assertThat(asked).contains(List.of("repository:tokens/app:pull,push"), List.of("repository:tokens/app:pull"));
        assertThat(asked)
                .allSatisfy(scopes -> assertThat(scopes).allMatch(s -> s.startsWith("repository:tokens/app:")));
    }

    @Test
    void tokensAreReusedForTheirScopeUntilTheyExpire() throws IOException {
        ContentStore local = ContentStore.open(dir.resolve("local"));
        TestImage image = TestImage.make(local, AMD64, 32, 100);
        ImageReference reference = registry.reference("cache/app:1");
        MutableClock clock = new MutableClock(Instant.now());
        try (RegistryClient pusher = RegistryClient.builder().build()) {
            image.push(pusher, reference, local);
        }

        try (RegistryClient client = RegistryClient.builder().clock(clock).build()) {
            client.resolveImage(reference, AMD64);
            int afterFirst = tokens.tokensIssued();
            client.resolveImage(reference, AMD64);
            client.blobExists(reference, image.layers().getFirst().digest());
            assertThat(tokens.tokensIssued()).isEqualTo(afterFirst);

            clock.advance(Duration.ofMinutes(10));
            client.resolveImage(reference, AMD64);
            assertThat(tokens.tokensIssued()).isEqualTo(afterFirst + 1);
        }
    }

    @Test
    void accessTokenFieldIsAcceptedToo() throws IOException {
        tokens.answerWithAccessTokenField(true);
        ContentStore local = ContentStore.open(dir.resolve("local"));
        TestImage image = TestImage.make(local, AMD64, 33, 10);

        try (RegistryClient client = RegistryClient.builder().build()) {
            Descriptor pushed = image.push(client, registry.reference("oauth/app:1"), local);
            assertThat(client.resolve(registry.reference("oauth/app:1"))).isEqualTo(pushed);
        }
    }

    @Test
    void mountAsksForPullOnTheSourceRepository() throws IOException {
        ContentStore local = ContentStore.open(dir.resolve("local"));
        TestImage image = TestImage.make(local, AMD64, 34, 500);
        Descriptor layer = image.layers().getFirst();
        try (RegistryClient client = RegistryClient.builder().build()) {
            client.pushBlob(registry.reference("mount/base"), layer, local);

            PushResult result = client.pushBlob(
                    registry.reference("mount/derived"),
                    layer,
                    () -> local.open(layer.digest()),
                    registry.reference("mount/base"));

            assertThat(result).isEqualTo(PushResult.MOUNTED);
        }
        assertThat(tokens.requests())
                .contains(List.of("repository:mount/base:pull", "repository:mount/derived:pull,push"));
    }

    @Test
    void tokenServerThatWantsCredentialsGetsThemFromDockerConfig() throws IOException {
        tokens.requireCredentials("kiln", "s3cret");
        ImageReference reference = registry.reference("guarded/app:1");
        Path config = dir.resolve("config.json");
        Files.writeString(
                config, "{\"auths\":{\"" + registry.host() + "\":{\"username\":\"kiln\",\"password\":\"s3cret\"}}}");
        ContentStore local = ContentStore.open(dir.resolve("local"));
        TestImage image = TestImage.make(local, AMD64, 35, 10);

        try (RegistryClient anonymous = RegistryClient.builder().build()) {
            assertThatThrownBy(() -> anonymous.resolve(reference))
                    .isInstanceOf(RegistryException.class)
                    .hasMessageContaining("registry " + registry.host()
                            + ", repository guarded/app, reference 1: HTTP 401: "
                            + "the token server " + tokens.realm() + " refused a token (anonymous; no credentials for "
                            + registry.host()
                            + " in no credential source (anonymous access)) with HTTP 401: UNAUTHORIZED: "
                            + "wrong or missing credentials");
        }
        try (RegistryClient client = RegistryClient.builder()
                .credentials(DockerConfig.load(config, List.of()))
                .build()) {
            Descriptor pushed = image.push(client, reference, local);
            assertThat(client.resolve(reference)).isEqualTo(pushed);
        }
    }

    @Test
    void aViewWithOtherCredentialsGetsNoneOfTheTokensAnotherViewFetched() throws IOException {
        tokens.requireCredentials("kiln", "s3cret");
        ImageReference reference = registry.reference("views/app:1");
        ContentStore local = ContentStore.open(dir.resolve("local"));
        TestImage image = TestImage.make(local, AMD64, 36, 10);
        CredentialSource owner = host -> host.equals(registry.host())
                ? java.util.Optional.of(Credentials.of("kiln", "s3cret"))
                : java.util.Optional.empty();

        try (RegistryClient shared = RegistryClient.builder().build()) {
            Descriptor pushed;
            try (RegistryClient withOwner = shared.withCredentials(owner)) {
                pushed = image.push(withOwner, reference, local);
                assertThat(withOwner.resolve(reference)).isEqualTo(pushed);
                int issued = tokens.tokensIssued();
                withOwner.resolve(reference);
                assertThat(tokens.tokensIssued())
                        .as("the view reuses its own token")
                        .isEqualTo(issued);
            }
            // the same scopes, the same registry, right after: neither another view nor the client itself may use them
            try (RegistryClient other = shared.withCredentials(CredentialSource.ANONYMOUS)) {
                assertThatThrownBy(() -> other.resolve(reference))
                        .isInstanceOfSatisfying(
                                RegistryException.class,
                                e -> assertThat(e.status()).isEqualTo(401))
                        .hasMessageContaining("registry " + registry.host() + ", repository views/app")
                        .hasMessageContaining("refused a token (anonymous; no credentials for " + registry.host());
            }
            assertThatThrownBy(() -> shared.resolve(reference))
                    .isInstanceOfSatisfying(
                            RegistryException.class, e -> assertThat(e.status()).isEqualTo(401));
            // closing the views left the shared client's connections open
            assertThat(shared.withCredentials(owner).resolve(reference)).isEqualTo(pushed);
        }
    }

    private static final class MutableClock extends Clock {
        private Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
