package dev.kiln.oci;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Docker's HEALTHCHECK in an image config.
 *
 * @param test the command: {@code ["NONE"]}, {@code ["CMD", args...]} or {@code ["CMD-SHELL", command]}
 * @param interval time between checks, zero for the default
 * @param timeout time a check may take, zero for the default
 * @param startPeriod grace period after start, zero for the default
 * @param startInterval time between checks during the start period, zero for the default
 * @param retries failures before unhealthy, zero for the default
 * @param unknownFields fields Kiln does not model, kept when the config is written again (read-only)
 */
public record Healthcheck(
        List<String> test,
        Duration interval,
        Duration timeout,
        Duration startPeriod,
        Duration startInterval,
        int retries,
        Map<String, JsonNode> unknownFields) {

    private static final Set<String> FIELDS =
            Set.of("Test", "Interval", "Timeout", "StartPeriod", "StartInterval", "Retries");

    public Healthcheck {
        test = test == null ? List.of() : List.copyOf(test);
        interval = interval == null ? Duration.ZERO : interval;
        timeout = timeout == null ? Duration.ZERO : timeout;
        startPeriod = startPeriod == null ? Duration.ZERO : startPeriod;
        startInterval = startInterval == null ? Duration.ZERO : startInterval;
        unknownFields = UnknownFields.copy(unknownFields);
    }

    public static Healthcheck of(
            List<String> test,
            Duration interval,
            Duration timeout,
            Duration startPeriod,
            Duration startInterval,
            int retries) {
        return new Healthcheck(test, interval, timeout, startPeriod, startInterval, retries, Map.of());
    }

    Healthcheck withoutUnknownFields() {
        return new Healthcheck(test, interval, timeout, startPeriod, startInterval, retries, Map.of());
    }

    static Healthcheck read(JsonFields fields) {
        return new Healthcheck(
                fields.strings("Test"),
                Duration.ofNanos(fields.optionalLong("Interval")),
                Duration.ofNanos(fields.optionalLong("Timeout")),
                Duration.ofNanos(fields.optionalLong("StartPeriod")),
                Duration.ofNanos(fields.optionalLong("StartInterval")),
                fields.optionalInt("Retries"),
                fields.unknown(FIELDS));
    }

    void write(JsonGenerator json) throws IOException {
        json.writeObjectFieldStart("Healthcheck");
        CanonicalJson.strings(json, "Test", test);
        nanos(json, "Interval", interval);
        nanos(json, "Timeout", timeout);
        nanos(json, "StartPeriod", startPeriod);
        nanos(json, "StartInterval", startInterval);
        if (retries != 0) {
            json.writeNumberField("Retries", retries);
        }
        CanonicalJson.unknown(json, unknownFields);
        json.writeEndObject();
    }

    /** Go writes a time.Duration as integer nanoseconds. */
    private static void nanos(JsonGenerator json, String name, Duration duration) throws IOException {
        if (!duration.isZero()) {
            json.writeNumberField(name, duration.toNanos());
        }
    }
}
