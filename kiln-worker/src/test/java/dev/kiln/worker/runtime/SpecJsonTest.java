package dev.kiln.worker.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpecJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void awkwardStringsSurviveAJsonParser() throws Exception {
        String awkward = "quote\" backslash\\ newline\n tab\t bell\u0007 nul\u0000 unicode é ✓ \u2028";
        OciSpec.Mount mount = new OciSpec.Mount("/dst", "bind", awkward, List.of("a\"b", ""));

        JsonNode parsed = JSON.readTree(SpecJson.write(mount));

        assertThat(parsed.get("source").asText()).isEqualTo(awkward);
        assertThat(parsed.get("options").get(0).asText()).isEqualTo("a\"b");
        assertThat(parsed.get("options").get(1).asText()).isEmpty();
    }

    @Test
    void stringsAreEscapedAsGoWritesThem() {
        // BuildKit's executor writes config.json with Go's encoding/json, which escapes these
        OciSpec.Root root = new OciSpec.Root("/a<b>&c\u2028\u0001", false);

        assertThat(SpecJson.write(root))
                .isEqualTo("{\"path\":\"/a\\u003cb\\u003e\\u0026c\\u2028\\u0001\",\"readonly\":false}");
    }

    @Test
    void nullFieldsAreLeftOutAndNumbersKeepTheirRange() throws Exception {
        OciSpec.Rlimit unlimited = new OciSpec.Rlimit(
                "RLIMIT_NOFILE", BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE), BigInteger.TEN);
        OciSpec.SyscallRule rule = new OciSpec.SyscallRule(List.of("clone"), "SCMP_ACT_ERRNO", null, null);

        JsonNode limit = JSON.readTree(SpecJson.write(unlimited));
        JsonNode parsedRule = JSON.readTree(SpecJson.write(rule));

        assertThat(limit.get("hard").bigIntegerValue()).isEqualTo(new BigInteger("18446744073709551615"));
        assertThat(limit.get("soft").asInt()).isEqualTo(10);
        assertThat(parsedRule.has("errnoRet")).isFalse();
        assertThat(parsedRule.has("args")).isFalse();
        assertThat(parsedRule.get("names").get(0).asText()).isEqualTo("clone");
    }

    @Test
    void booleansAndNestedRecords() throws Exception {
        OciSpec.Root root = new OciSpec.Root("/rootfs", true);
        OciSpec.Process process = new OciSpec.Process(
                false,
                null,
                new OciSpec.User(1000, 50, List.of(7)),
                List.of("sh"),
                List.of("A=1"),
                "/",
                null,
                null,
                false);

        assertThat(SpecJson.write(root)).isEqualTo("{\"path\":\"/rootfs\",\"readonly\":true}");
        JsonNode parsed = JSON.readTree(SpecJson.write(process));
        assertThat(parsed.get("user").get("additionalGids").get(0).asInt()).isEqualTo(7);
        assertThat(parsed.get("terminal").asBoolean()).isFalse();
    }
}
