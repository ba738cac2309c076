package dev.kiln.llb;

import com.google.protobuf.ByteString;
import dev.kiln.core.SourceFrame;
import dev.kiln.llb.pb.Position;
import dev.kiln.llb.pb.Range;
import dev.kiln.llb.pb.SourceInfo;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Lines of a source file in LLB's source-map terms, as BuildKit's frontends name where a failure or a warning is: the
 * file's info, and one range a line (a range over several lines would be drawn as one).
 */
public final class SourceLines {

    private SourceLines() {}

    /** The file that {@code lines} are of: its name, language and bytes. */
    public static SourceInfo info(SourceFrame.Lines lines) {
        return SourceInfo.newBuilder()
                .setFilename(lines.filename())
                .setLanguage(lines.language())
                .setData(ByteString.copyFrom(lines.data()))
                .build();
    }

    /** Lines {@code first} to {@code last}, counted from 1, one range each. */
    public static List<Range> eachLine(int first, int last) {
        return IntStream.rangeClosed(first, last).mapToObj(SourceLines::line).toList();
    }

    private static Range line(int line) {
        Position position = Position.newBuilder().setLine(line).build();
        return Range.newBuilder().setStart(position).setEnd(position).build();
    }
}
