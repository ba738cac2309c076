package dev.kiln.oci;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.kiln.core.Platform;
import java.io.IOException;
import java.util.Set;

/** The OCI JSON form of {@link Platform} (the same value the LLB ops carry), as descriptors and configs write it. */
final class PlatformJson {
    static final Set<String> FIELDS = Set.of("architecture", "os", "os.version", "os.features", "variant");

    private PlatformJson() {}

    static Platform read(JsonFields platform) {
        return new Platform(
                platform.requiredString("os"),
                platform.requiredString("architecture"),
                platform.string("variant"),
                platform.string("os.version"),
                platform.strings("os.features"));
    }

    static void write(JsonGenerator json, String name, Platform platform) throws IOException {
        json.writeObjectFieldStart(name);
        json.writeStringField("architecture", platform.architecture());
        json.writeStringField("os", platform.os());
        CanonicalJson.string(json, "os.version", platform.osVersion());
        CanonicalJson.strings(json, "os.features", platform.osFeatures());
        CanonicalJson.string(json, "variant", platform.variant());
        json.writeEndObject();
    }
}
