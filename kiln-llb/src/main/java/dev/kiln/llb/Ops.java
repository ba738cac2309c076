package dev.kiln.llb;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import dev.kiln.core.Digest;
import dev.kiln.llb.pb.Op;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The canonical bytes of an op and the digest that names it.
 *
 * <p>BuildKit's Go client marshals every op with {@code proto.MarshalOptions{Deterministic: true}}:
 * fields in field-number order, map entries sorted by key. Protobuf-java's deterministic mode does
 * the same, so the same op gives the same bytes, hence the same digest, in both.
 */
public final class Ops {

    private Ops() {}

    /** The deterministic wire bytes of {@code message} (an {@link Op} or any other LLB message). */
    public static byte[] marshal(MessageLite message) {
        byte[] bytes = new byte[message.getSerializedSize()];
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.useDeterministicSerialization();
        try {
            message.writeTo(out);
            out.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to an array of the exact size cannot fail", e);
        }
        return bytes;
    }

    /** The digest of an op: sha256 of its deterministic bytes. */
    public static Digest digest(Op op) {
        return Digest.sha256(marshal(op));
    }
}
