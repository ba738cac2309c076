package dev.kiln.api.session;

import dev.kiln.api.RawMarshaller;
import dev.kiln.api.filesync.FileSendGrpc;
import dev.kiln.api.fsutil.Packet;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;

/**
 * FileSend.DiffCopy declares BytesMessage both ways, but for a directory export BuildKit sends fsutil Packets
 * over it (the wire cannot tell). These are the method's other typings: with Packets for a directory sender,
 * and with raw bytes for the client's server, which learns from the headers which one the daemon speaks.
 */
final class FileSendMethods {

    static final String EXPORTER_ID = "buildkit-attachable-exporter-id";
    static final String EXPORTER_METADATA_PREFIX = "exporter-md-";

    static final MethodDescriptor<Packet, Packet> PACKETS = FileSendGrpc.getDiffCopyMethod().toBuilder(
                    ProtoUtils.marshaller(Packet.getDefaultInstance()),
                    ProtoUtils.marshaller(Packet.getDefaultInstance()))
            .build();

    static final MethodDescriptor<byte[], byte[]> RAW = FileSendGrpc.getDiffCopyMethod().toBuilder(
                    RawMarshaller.INSTANCE, RawMarshaller.INSTANCE)
            .build();

    private FileSendMethods() {}

    /** Exporter index from the headers; like BuildKit, a missing or malformed one is 0. */
    static int exporterId(Metadata headers) {
        String v = headers.get(SyncOptions.key(EXPORTER_ID));
        try {
            return v == null ? 0 : Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
