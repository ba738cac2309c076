package dev.kiln.llb;

import java.util.Objects;

/** An option of {@link State#git}. */
public sealed interface GitOption
        permits GitOption.KeepGitDir,
                GitOption.Ref,
                GitOption.SubDir,
                GitOption.AuthTokenSecret,
                GitOption.AuthHeaderSecret,
                GitOption.KnownSshHosts,
                GitOption.MountSshSock,
                GitOption.Checksum,
                GitOption.SkipSubmodules,
                OpOption {

    /** Keeps the .git directory in the checkout (removed by default). */
    static GitOption keepGitDir() {
        return new KeepGitDir();
    }

    /** The branch, tag or commit to check out (overrides the ref argument). */
    static GitOption ref(String ref) {
        return new Ref(ref);
    }

    /** Only this directory of the repository. */
    static GitOption subDir(String dir) {
        return new SubDir(dir);
    }

    /** The secret holding an HTTP token for the remote (default GIT_AUTH_TOKEN). */
    static GitOption authTokenSecret(String secretName) {
        return new AuthTokenSecret(secretName);
    }

    /** The secret holding a whole HTTP Authorization header (default GIT_AUTH_HEADER). */
    static GitOption authHeaderSecret(String secretName) {
        return new AuthHeaderSecret(secretName);
    }

    /** known_hosts lines for an SSH remote. */
    static GitOption knownSshHosts(String lines) {
        return new KnownSshHosts(lines);
    }

    /** The SSH agent (by id) used for an SSH remote (default "default"). */
    static GitOption mountSshSock(String sshId) {
        return new MountSshSock(sshId);
    }

    /** The commit the ref must resolve to. */
    static GitOption checksum(String commit) {
        return new Checksum(commit);
    }

    static GitOption skipSubmodules() {
        return new SkipSubmodules();
    }

    record KeepGitDir() implements GitOption {}

    record Ref(String ref) implements GitOption {
        public Ref {
            Objects.requireNonNull(ref, "ref");
        }
    }

    record SubDir(String dir) implements GitOption {
        public SubDir {
            Objects.requireNonNull(dir, "dir");
        }
    }

    record AuthTokenSecret(String secretName) implements GitOption {
        public AuthTokenSecret {
            Objects.requireNonNull(secretName, "secretName");
        }
    }

    record AuthHeaderSecret(String secretName) implements GitOption {
        public AuthHeaderSecret {
            Objects.requireNonNull(secretName, "secretName");
        }
    }

    record KnownSshHosts(String lines) implements GitOption {
        public KnownSshHosts {
            Objects.requireNonNull(lines, "lines");
        }
    }

    record MountSshSock(String sshId) implements GitOption {
        public MountSshSock {
            Objects.requireNonNull(sshId, "sshId");
        }
    }

    record Checksum(String commit) implements GitOption {
        public Checksum {
            Objects.requireNonNull(commit, "commit");
        }
    }

    record SkipSubmodules() implements GitOption {}
}
