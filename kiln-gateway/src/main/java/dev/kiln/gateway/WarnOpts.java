package dev.kiln.gateway;

import dev.kiln.llb.pb.Range;
import dev.kiln.llb.pb.SourceInfo;
import java.util.List;

/**
 * Where a warning points and what more it says.
 *
 * @param level      severity, higher is more severe (BuildKit uses 1 for warnings)
 * @param sourceInfo the file the ranges refer to, such as the Dockerfile; may be null
 * @param detail     extra lines of explanation
 * @param url        a page that explains the warning; empty for none
 */
public record WarnOpts(int level, SourceInfo sourceInfo, List<Range> ranges, List<byte[]> detail, String url) {

    public WarnOpts {
        ranges = List.copyOf(ranges == null ? List.of() : ranges);
        detail = detail == null ? List.of() : detail.stream().map(byte[]::clone).toList();
        url = url == null ? "" : url;
    }

    public static WarnOpts none() {
        return new WarnOpts(1, null, List.of(), List.of(), "");
    }
}
