package dev.kiln.llb;

import dev.kiln.core.Digest;
import java.util.Objects;

/** An option of {@link State#http}: how the downloaded file is checked, named and owned. */
public sealed interface HttpOption
        permits HttpOption.Checksum,
                HttpOption.Filename,
                HttpOption.Chmod,
                HttpOption.Chown,
                HttpOption.AuthHeaderSecret,
                HttpOption.Header,
                OpOption {

    /** The digest the content must have. */
    static HttpOption checksum(Digest digest) {
        return new Checksum(digest);
    }

    /** The file's name in the result (default: from the URL). */
    static HttpOption filename(String name) {
        return new Filename(name);
    }

    /** Permission bits of the file (only 0777 bits count). */
    static HttpOption chmod(int mode) {
        return new Chmod(mode & 0777);
    }

    static HttpOption chown(int uid, int gid) {
        return new Chown(uid, gid);
    }

    /** The secret holding the request's Authorization header. */
    static HttpOption authHeaderSecret(String secretName) {
        return new AuthHeaderSecret(secretName);
    }

    /** Accept and User-Agent request headers ("" leaves one out). */
    static HttpOption header(String accept, String userAgent) {
        return new Header(accept, userAgent);
    }

    record Checksum(Digest digest) implements HttpOption {
        public Checksum {
            Objects.requireNonNull(digest, "digest");
        }
    }

    record Filename(String name) implements HttpOption {
        public Filename {
            Objects.requireNonNull(name, "name");
        }
    }

    record Chmod(int mode) implements HttpOption {}

    record Chown(int uid, int gid) implements HttpOption {}

    record AuthHeaderSecret(String secretName) implements HttpOption {
        public AuthHeaderSecret {
            Objects.requireNonNull(secretName, "secretName");
        }
    }

    record Header(String accept, String userAgent) implements HttpOption {
        public Header {
            accept = accept == null ? "" : accept;
            userAgent = userAgent == null ? "" : userAgent;
        }
    }
}
