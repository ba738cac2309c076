package dev.kiln.oci.layer;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.lang.ref.Cleaner;
import java.util.Optional;

/**
 * The system's zlib ({@code libz.so.1}) through the FFM API, for {@link BlockDeflater}: its bound functions and
 * version. A deflater keeps one
 * {@code z_stream} and native buffers for a block's dictionary, input and output; a block is copied in and its
 * deflated bytes out (a copy costs microseconds, deflating a block milliseconds). {@link #available()} is empty where
 * libz cannot be loaded, its {@code z_stream} is not the 64-bit layout below, or native access is not enabled.
 */
@SuppressWarnings("restricted") // a downcall to libz is the point; callers run with --enable-native-access
record SystemZlib(
        MethodHandle init,
        MethodHandle setDictionary,
        MethodHandle deflate,
        MethodHandle reset,
        MethodHandle end,
        MemorySegment version) {

    /** zlib.h's z_stream on a 64-bit system (deflateInit2_ checks its size, and refuses another layout). */
    private static final StructLayout Z_STREAM = MemoryLayout.structLayout(
            ValueLayout.ADDRESS.withName("next_in"),
            ValueLayout.JAVA_INT.withName("avail_in"),
            MemoryLayout.paddingLayout(4),
            ValueLayout.JAVA_LONG.withName("total_in"),
            ValueLayout.ADDRESS.withName("next_out"),
            ValueLayout.JAVA_INT.withName("avail_out"),
            MemoryLayout.paddingLayout(4),
            ValueLayout.JAVA_LONG.withName("total_out"),
            ValueLayout.ADDRESS.withName("msg"),
            ValueLayout.ADDRESS.withName("state"),
            ValueLayout.ADDRESS.withName("zalloc"),
            ValueLayout.ADDRESS.withName("zfree"),
            ValueLayout.ADDRESS.withName("opaque"),
            ValueLayout.JAVA_INT.withName("data_type"),
            MemoryLayout.paddingLayout(4),
            ValueLayout.JAVA_LONG.withName("adler"),
            ValueLayout.JAVA_LONG.withName("reserved"));

    private static final VarHandle NEXT_IN = field("next_in");
    private static final VarHandle AVAIL_IN = field("avail_in");
    private static final VarHandle NEXT_OUT = field("next_out");
    private static final VarHandle AVAIL_OUT = field("avail_out");

    private static final int Z_OK = 0;
    private static final int Z_STREAM_END = 1;
    private static final int Z_SYNC_FLUSH = 2;
    private static final int Z_FINISH = 4;

    private static final int WINDOW = 32 * 1024;
    private static final Cleaner CLEANER = Cleaner.create();

    private static final class Holder {
        static final Optional<SystemZlib> ZLIB = load();
    }

    private static VarHandle field(String name) {
        return Z_STREAM.varHandle(MemoryLayout.PathElement.groupElement(name));
    }

    /** The system's zlib, when it loads here. */
    static Optional<SystemZlib> available() {
        return Holder.ZLIB;
    }

    /** Which zlib: its version and the machine's architecture. */
    String identity() {
        return "zlib " + version.getString(0) + " " + System.getProperty("os.arch");
    }

    /** A deflater at {@code level} for blocks of at most {@code maxBlock} bytes. */
    BlockDeflater deflater(int level, int maxBlock) {
        return new Stream(this, level, maxBlock);
    }

    private static Optional<SystemZlib> load() {
        if (ValueLayout.ADDRESS.byteSize() != 8) {
            return Optional.empty();
        }
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup lib = SymbolLookup.libraryLookup("libz.so.1", Arena.global());
            FunctionDescriptor ofStream = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
            MemorySegment version = ((MemorySegment) linker.downcallHandle(
                                    lib.findOrThrow("zlibVersion"), FunctionDescriptor.of(ValueLayout.ADDRESS))
                            .invokeExact())
                    .reinterpret(64);
            SystemZlib zlib = new SystemZlib(
                    linker.downcallHandle(
                            lib.findOrThrow("deflateInit2_"),
                            FunctionDescriptor.of(
                                    ValueLayout.JAVA_INT,
                                    ValueLayout.ADDRESS,
                                    ValueLayout.JAVA_INT,
                                    ValueLayout.JAVA_INT,
                                    ValueLayout.JAVA_INT,
                                    ValueLayout.JAVA_INT,
                                    ValueLayout.JAVA_INT,
                                    ValueLayout.ADDRESS,
                                    ValueLayout.JAVA_INT)),
                    linker.downcallHandle(
                            lib.findOrThrow("deflateSetDictionary"),
                            FunctionDescriptor.of(
                                    ValueLayout.JAVA_INT,
                                    ValueLayout.ADDRESS,
                                    ValueLayout.ADDRESS,
                                    ValueLayout.JAVA_INT)),
                    linker.downcallHandle(
                            lib.findOrThrow("deflate"),
                            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT)),
                    linker.downcallHandle(lib.findOrThrow("deflateReset"), ofStream),
                    linker.downcallHandle(lib.findOrThrow("deflateEnd"), ofStream),
                    version);
            // one stream made and freed: a libz whose z_stream is not the layout above fails here, not in a build
            zlib.deflater(java.util.zip.Deflater.DEFAULT_COMPRESSION, 1).close();
            return Optional.of(zlib);
        } catch (Throwable unavailable) {
            // no libz here, another layout, or native access is not enabled: the JDK's deflater serves
            return Optional.empty();
        }
    }

    /** One z_stream and its buffers; what frees them runs once, at close or when the stream is unreachable. */
    private static final class Stream implements BlockDeflater {
        private final SystemZlib zlib;
        private final MemorySegment stream;
        private final MemorySegment dictionary;
        private final MemorySegment input;
        private final MemorySegment output;
        private final Cleaner.Cleanable freed;

        Stream(SystemZlib zlib, int level, int maxBlock) {
            this.zlib = zlib;
            Arena arena = Arena.ofShared();
            try {
                stream = arena.allocate(Z_STREAM); // zeroed: zlib's own allocator
                dictionary = arena.allocate(WINDOW);
                input = arena.allocate(maxBlock);
                // deflateBound's margin for stored blocks, and a sync flush's few bytes
                output = arena.allocate(maxBlock + maxBlock / 1000 + 1024);
                // method 8 (deflate); window bits -15: a 32 KiB window and raw deflate, since gzip's header and trailer
                // are the stream's own; memory level 8 and strategy 0, zlib's and the JDK's defaults
                int status = (int)
                        zlib.init.invokeExact(stream, level, 8, -15, 8, 0, zlib.version, (int) Z_STREAM.byteSize());
                check(status, "deflateInit2");
            } catch (Throwable t) {
                arena.close();
                throw failed(t);
            }
            freed = CLEANER.register(this, new Free(zlib.end, stream, arena));
        }

        @Override
        public byte[] deflate(byte[] dictionaryBytes, int offset, int length, byte[] data, int size, boolean last) {
            try {
                if (length > 0) {
                    MemorySegment.copy(dictionaryBytes, offset, dictionary, ValueLayout.JAVA_BYTE, 0, length);
                    check((int) zlib.setDictionary.invokeExact(stream, dictionary, length), "deflateSetDictionary");
                }
                MemorySegment.copy(data, 0, input, ValueLayout.JAVA_BYTE, 0, size);
                NEXT_IN.set(stream, 0L, input);
                AVAIL_IN.set(stream, 0L, size);
                NEXT_OUT.set(stream, 0L, output);
                AVAIL_OUT.set(stream, 0L, (int) output.byteSize());
                int status = (int) zlib.deflate.invokeExact(stream, last ? Z_FINISH : Z_SYNC_FLUSH);
                // the output buffer holds a whole block deflated: one call consumes it all, or the stream is broken
                if (status != (last ? Z_STREAM_END : Z_OK)
                        || (int) AVAIL_IN.get(stream, 0L) != 0
                        || (int) AVAIL_OUT.get(stream, 0L) == 0) {
                    throw new IllegalStateException("zlib deflate stopped short (status " + status + ")");
                }
                long produced = output.byteSize() - (int) AVAIL_OUT.get(stream, 0L);
                return output.asSlice(0, produced).toArray(ValueLayout.JAVA_BYTE);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw failed(t);
            } finally {
                resetStream();
            }
        }

        private void resetStream() {
            try {
                check((int) zlib.reset.invokeExact(stream), "deflateReset");
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw failed(t);
            }
        }

        @Override
        public void close() {
            freed.clean();
        }

        private static void check(int status, String call) {
            if (status != Z_OK) {
                throw new IllegalStateException("zlib " + call + " failed (status " + status + ")");
            }
        }

        private static IllegalStateException failed(Throwable t) {
            return t instanceof IllegalStateException e ? e : new IllegalStateException("zlib call failed", t);
        }
    }

    /** Frees a stream's zlib state and buffers; refers to no Stream, so the Stream can become unreachable. */
    private record Free(MethodHandle end, MemorySegment stream, Arena arena) implements Runnable {
        @Override
        public void run() {
            try {
                int ignored = (int) end.invokeExact(stream);
            } catch (Throwable t) {
                // the memory of one stream is lost; nothing else depends on it
            }
            arena.close();
        }
    }
}
