package dev.kiln.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * WWW-Authenticate headers as a registry (or anything answering in its place) may send them: parsing never fails,
 * whatever the bytes. Each line of the input is one header; Java's HTTP client hands headers over as ISO-8859-1.
 */
class AuthChallengeFuzzTest {

    @FuzzTest
    void parse(byte[] data) {
        List<String> headers = Arrays.asList(new String(data, StandardCharsets.ISO_8859_1).split("\n", -1));

        List<AuthChallenge> challenges = AuthChallenge.parse(headers);

        for (AuthChallenge challenge : challenges) {
            assertThat(challenge.scheme()).isNotEmpty().isLowerCase();
            assertThat(challenge.parameter("realm")).isNotNull();
        }
    }
}
