package dev.kiln.core.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.security.DigestException;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * SHA-256 computed by OpenSSL's libcrypto through the FFM API. The daemon runs at the JIT's first tier, where the
 * JDK's SHA-256 is plain Java at about 0.1 GB/s; libcrypto uses the CPU's SHA instructions as the second tier's
 * intrinsic does (1 GB/s and more), without the second tier's slow warm-up. Heap arrays go to libcrypto without a
 * copy (critical downcalls). {@link #available()} is empty where libcrypto 3 cannot be loaded, and callers then keep
 * the JDK's engine.
 */
public final class NativeSha256 extends MessageDigest implements Cloneable {

    private static final int LENGTH = 32;
    private static final long CRITICAL_SLICE = 64 * 1024;
    private static final Cleaner CLEANER = Cleaner.create();

    /** The bound libcrypto functions and the fetched SHA-256 implementation. */
    private record Crypto(
            MemorySegment sha256,
            MethodHandle newContext,
            MethodHandle freeContext,
            MethodHandle copyContext,
            MethodHandle init,
            MethodHandle update,
            MethodHandle heapUpdate,
            MethodHandle finish) {}

    private static final class Holder {
        static final Optional<Crypto> CRYPTO = load();
    }

    private final MemorySegment context;

    private NativeSha256(MemorySegment context) {
        super("SHA-256");
        this.context = context;
        Crypto crypto = crypto();
        CLEANER.register(this, () -> freeContext(crypto, context));
    }

    /** A fresh engine, when libcrypto could be loaded. */
    public static Optional<MessageDigest> available() {
        if (Holder.CRYPTO.isEmpty()) {
            return Optional.empty();
        }
        NativeSha256 sha = new NativeSha256(newContext(Holder.CRYPTO.get()));
        sha.engineReset();
        return Optional.of(sha);
    }

    private static Optional<Crypto> load() {
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup lib = SymbolLookup.libraryLookup("libcrypto.so.3", Arena.global());
            MethodHandle fetch = linker.downcallHandle(
                    lib.findOrThrow("EVP_MD_fetch"),
                    FunctionDescriptor.of(
                            ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
            // fetched once: EVP_sha256() would look the implementation up again on every init
            MemorySegment sha256;
            try (Arena arena = Arena.ofConfined()) {
                sha256 = (MemorySegment)
                        fetch.invokeExact(MemorySegment.NULL, arena.allocateFrom("SHA256"), MemorySegment.NULL);
            }
            if (sha256.equals(MemorySegment.NULL)) {
                return Optional.empty();
            }
            FunctionDescriptor update = FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG);
            return Optional.of(new Crypto(
                    sha256,
                    linker.downcallHandle(
                            lib.findOrThrow("EVP_MD_CTX_new"), FunctionDescriptor.of(ValueLayout.ADDRESS)),
                    linker.downcallHandle(
                            lib.findOrThrow("EVP_MD_CTX_free"), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS)),
                    linker.downcallHandle(
                            lib.findOrThrow("EVP_MD_CTX_copy_ex"),
                            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS)),
                    linker.downcallHandle(
                            lib.findOrThrow("EVP_DigestInit_ex"),
                            FunctionDescriptor.of(
                                    ValueLayout.JAVA_INT,
                                    ValueLayout.ADDRESS,
                                    ValueLayout.ADDRESS,
                                    ValueLayout.ADDRESS)),
                    linker.downcallHandle(lib.findOrThrow("EVP_DigestUpdate"), update),
                    linker.downcallHandle(lib.findOrThrow("EVP_DigestUpdate"), update, Linker.Option.critical(true)),
                    linker.downcallHandle(
                            lib.findOrThrow("EVP_DigestFinal_ex"),
                            FunctionDescriptor.of(
                                    ValueLayout.JAVA_INT,
                                    ValueLayout.ADDRESS,
                                    ValueLayout.ADDRESS,
                                    ValueLayout.ADDRESS))));
        } catch (Throwable unavailable) {
            // no libcrypto 3 here, or native access is not enabled: the JDK's engine serves
            return Optional.empty();
        }
    }

    private static MemorySegment newContext(Crypto crypto) {
        try {
            MemorySegment context = (MemorySegment) crypto.newContext().invokeExact();
            if (context.equals(MemorySegment.NULL)) {
                throw new OutOfMemoryError("libcrypto could not allocate a digest context");
            }
            return context;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    private static void freeContext(Crypto crypto, MemorySegment context) {
        try {
            crypto.freeContext().invokeExact(context);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    private static Crypto crypto() {
        return Holder.CRYPTO.orElseThrow();
    }

    private static void check(int ok, String call) {
        if (ok != 1) {
            throw new IllegalStateException("libcrypto " + call + " failed");
        }
    }

    @Override
    protected void engineUpdate(byte input) {
        engineUpdate(new byte[] {input}, 0, 1);
    }

    @Override
    protected void engineUpdate(byte[] input, int offset, int len) {
        update(MemorySegment.ofArray(input).asSlice(offset, len));
    }

    @Override
    protected void engineUpdate(ByteBuffer input) {
        update(MemorySegment.ofBuffer(input));
        input.position(input.limit());
    }

    /**
     * Hashes {@code bytes}. Heap bytes go in slices of {@link #CRITICAL_SLICE}: a critical downcall holds off the
     * garbage collector's safepoints while it runs, which a slice keeps to some 50 microseconds.
     */
    private void update(MemorySegment bytes) {
        try {
            if (bytes.isNative()) {
                check((int) crypto().update().invokeExact(context, bytes, bytes.byteSize()), "EVP_DigestUpdate");
                return;
            }
            for (long at = 0; at < bytes.byteSize(); at += CRITICAL_SLICE) {
                long size = Math.min(CRITICAL_SLICE, bytes.byteSize() - at);
                check(
                        (int) crypto().heapUpdate().invokeExact(context, bytes.asSlice(at, size), size),
                        "EVP_DigestUpdate");
            }
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    @Override
    protected byte[] engineDigest() {
        byte[] out = new byte[LENGTH];
        try {
            engineDigest(out, 0, LENGTH);
        } catch (DigestException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    @Override
    protected int engineDigest(byte[] buf, int offset, int len) throws DigestException {
        if (len < LENGTH) {
            throw new DigestException("a SHA-256 digest needs 32 bytes, not " + len);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(LENGTH);
            check((int) crypto().finish().invokeExact(context, out, MemorySegment.NULL), "EVP_DigestFinal_ex");
            MemorySegment.copy(out, ValueLayout.JAVA_BYTE, 0, buf, offset, LENGTH);
        } catch (DigestException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        engineReset();
        return LENGTH;
    }

    @Override
    protected int engineGetDigestLength() {
        return LENGTH;
    }

    @Override
    protected void engineReset() {
        try {
            check(
                    (int) crypto().init().invokeExact(context, crypto().sha256(), MemorySegment.NULL),
                    "EVP_DigestInit_ex");
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    @Override
    public Object clone() {
        NativeSha256 copy = new NativeSha256(newContext(crypto()));
        try {
            check((int) crypto().copyContext().invokeExact(copy.context, context), "EVP_MD_CTX_copy_ex");
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        return copy;
    }

    @Override
    public String toString() {
        return "SHA-256 (libcrypto)";
    }
}
