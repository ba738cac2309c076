package dev.kiln.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuthChallengeTest {

    @Test
    void bearerChallengeGivesRealmServiceAndScope() {
        List<AuthChallenge> challenges = AuthChallenge.parse(List.of("Bearer realm=\"https://auth.docker.io/token\","
                + "service=\"registry.docker.io\",scope=\"repository:library/busybox:pull\""));

        assertThat(challenges)
                .containsExactly(new AuthChallenge(
                        "bearer",
                        Map.of(
                                "realm",
                                "https://auth.docker.io/token",
                                "service",
                                "registry.docker.io",
                                "scope",
                                "repository:library/busybox:pull")));
    }

    @Test
    void severalChallengesInOneHeaderAndUnquotedValues() {
        List<AuthChallenge> challenges = AuthChallenge.parse(
                List.of(
                        "Basic realm=\"kiln\", Bearer realm=http://127.0.0.1:1/token, service=reg, error=\"insufficient_scope\""));

        assertThat(challenges)
                .containsExactly(
                        new AuthChallenge("basic", Map.of("realm", "kiln")),
                        new AuthChallenge(
                                "bearer",
                                Map.of(
                                        "realm",
                                        "http://127.0.0.1:1/token",
                                        "service",
                                        "reg",
                                        "error",
                                        "insufficient_scope")));
    }

    @Test
    void quotedValuesMayHoldCommasAndEscapes() {
        List<AuthChallenge> challenges = AuthChallenge.parse(
                List.of("Bearer realm=\"r\",scope=\"repository:a:pull,push repository:b:pull\",x=\"say \\\"hi\\\"\""));

        assertThat(challenges.getFirst().parameter("scope")).isEqualTo("repository:a:pull,push repository:b:pull");
        assertThat(challenges.getFirst().parameter("x")).isEqualTo("say \"hi\"");
    }
}
