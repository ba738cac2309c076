package dev.kiln.oci.testing;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * bcrypt hashes for htpasswd files, the only kind docker-registry accepts, made by the system's crypt(3)
 * (libxcrypt, always present on Debian as libcrypt1) so that tests need neither apache2-utils nor a Java library.
 */
@SuppressWarnings("restricted")
public final class Bcrypt {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBCRYPT = SymbolLookup.libraryLookup("libcrypt.so.1", Arena.global());
    private static final MethodHandle CRYPT = LINKER.downcallHandle(
            LIBCRYPT.find("crypt").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    private static final MethodHandle GENSALT = LINKER.downcallHandle(
            LIBCRYPT.find("crypt_gensalt").orElseThrow(),
            FunctionDescriptor.of(
                    ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS,
                    ValueLayout.JAVA_LONG,
                    ValueLayout.ADDRESS,
                    ValueLayout.JAVA_INT));
    /** The lowest cost Go's bcrypt accepts is 4; a cheap hash keeps the registry's checks fast. */
    private static final long COST = 5;

    private Bcrypt() {}

    /** A "$2b$" bcrypt hash of {@code password} with a random salt. */
    public static synchronized String hash(String password) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment setting =
                    (MemorySegment) GENSALT.invokeExact(arena.allocateFrom("$2b$"), COST, MemorySegment.NULL, 0);
            if (setting.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("crypt_gensalt refused to make a bcrypt salt");
            }
            String salt = setting.reinterpret(128).getString(0);
            MemorySegment hashed =
                    (MemorySegment) CRYPT.invokeExact(arena.allocateFrom(password), arena.allocateFrom(salt));
            String result = hashed.equals(MemorySegment.NULL)
                    ? ""
                    : hashed.reinterpret(256).getString(0);
            if (!result.startsWith("$2b$")) {
                throw new IllegalStateException("crypt(3) did not make a bcrypt hash: \"" + result + "\"");
            }
            return result;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("calling crypt(3) failed", e);
        }
    }

    /** One htpasswd line, "user:hash". */
    public static String htpasswdLine(String user, String password) {
        return user + ":" + hash(password) + "\n";
    }
}
