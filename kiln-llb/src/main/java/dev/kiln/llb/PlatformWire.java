package dev.kiln.llb;

import dev.kiln.core.Platform;
import java.util.List;

/**
 * {@link Platform} as the LLB wire carries it ({@code pb.Platform}, in ops and in the gateway's worker records), both
 * ways and field for field: nothing is normalised here, so what an op names is what comes back.
 */
public final class PlatformWire {
    private PlatformWire() {}

    public static dev.kiln.llb.pb.Platform toProto(Platform platform) {
        return dev.kiln.llb.pb.Platform.newBuilder()
                .setOS(platform.os())
                .setArchitecture(platform.architecture())
                .setVariant(platform.variant())
                .setOSVersion(platform.osVersion())
                .addAllOSFeatures(platform.osFeatures())
                .build();
    }

    public static Platform fromProto(dev.kiln.llb.pb.Platform proto) {
        return new Platform(
                proto.getOS(),
                proto.getArchitecture(),
                proto.getVariant(),
                proto.getOSVersion(),
                List.copyOf(proto.getOSFeaturesList()));
    }
}
