package dev.kiln.llb;

/**
 * BuildKit's capability names. Clients list the ones an op needs in its metadata so that a daemon
 * lacking one refuses the build up front instead of misreading the op.
 */
final class Caps {

    static final String SOURCE_IMAGE = "source.image";
    static final String SOURCE_IMAGE_RESOLVE_MODE = "source.image.resolvemode";
    static final String SOURCE_IMAGE_LAYER_LIMIT = "source.image.layerlimit";
    static final String SOURCE_IMAGE_CHECKSUM = "source.image.checksum";
    static final String SOURCE_LOCAL = "source.local";
    static final String SOURCE_LOCAL_UNIQUE = "source.local.unique";
    static final String SOURCE_LOCAL_SESSION_ID = "source.local.sessionid";
    static final String SOURCE_LOCAL_INCLUDE_PATTERNS = "source.local.includepatterns";
    static final String SOURCE_LOCAL_FOLLOW_PATHS = "source.local.followpaths";
    static final String SOURCE_LOCAL_EXCLUDE_PATTERNS = "source.local.excludepatterns";
    static final String SOURCE_LOCAL_SHARED_KEY_HINT = "source.local.sharedkeyhint";
    static final String SOURCE_LOCAL_DIFFER = "source.local.differ";
    static final String SOURCE_GIT = "source.git";
    static final String SOURCE_GIT_KEEP_DIR = "source.git.keepgitdir";
    static final String SOURCE_GIT_FULL_URL = "source.git.fullurl";
    static final String SOURCE_GIT_HTTP_AUTH = "source.git.httpauth";
    static final String SOURCE_GIT_KNOWN_SSH_HOSTS = "source.git.knownsshhosts";
    static final String SOURCE_GIT_MOUNT_SSH_SOCK = "source.git.mountsshsock";
    static final String SOURCE_GIT_CHECKSUM = "source.git.checksum";
    static final String SOURCE_GIT_SKIP_SUBMODULES = "source.git.skipsubmodules";
    static final String SOURCE_HTTP = "source.http";
    static final String SOURCE_HTTP_AUTH = "source.http.auth";
    static final String SOURCE_HTTP_CHECKSUM = "source.http.checksum";
    static final String SOURCE_HTTP_PERM = "source.http.perm";
    /** Misspelt in BuildKit itself; the misspelling is the name. */
    static final String SOURCE_HTTP_UID_GID = "soruce.http.uidgid";

    static final String SOURCE_HTTP_HEADER = "source.http.header";
    static final String SOURCE_OCI_LAYOUT = "source.ocilayout";

    static final String EXEC_META_BASE = "exec.meta.base";
    static final String EXEC_META_NETWORK = "exec.meta.network";
    static final String EXEC_META_SECURITY = "exec.meta.security";
    static final String EXEC_META_ULIMIT = "exec.meta.ulimit";
    static final String EXEC_META_PROXY = "exec.meta.proxyenv";
    static final String EXEC_MOUNT_BIND = "exec.mount.bind";
    static final String EXEC_MOUNT_CACHE = "exec.mount.cache";
    static final String EXEC_MOUNT_CACHE_SHARING = "exec.mount.cache.sharing";
    static final String EXEC_MOUNT_SELECTOR = "exec.mount.selector";
    static final String EXEC_MOUNT_TMPFS = "exec.mount.tmpfs";
    static final String EXEC_MOUNT_TMPFS_SIZE = "exec.mount.tmpfs.size";
    static final String EXEC_MOUNT_SECRET = "exec.mount.secret";
    static final String EXEC_MOUNT_SSH = "exec.mount.ssh";
    static final String EXEC_SECRET_ENV = "exec.secretenv";
    static final String EXEC_VALID_EXIT_CODE = "exec.validexitcode";

    static final String FILE_BASE = "file.base";
    static final String MERGE_OP = "mergeop";
    static final String DIFF_OP = "diffop";

    static final String CONSTRAINTS = "constraints";
    static final String PLATFORM = "platform";
    static final String META_IGNORE_CACHE = "meta.ignorecache";
    static final String META_DESCRIPTION = "meta.description";
    static final String META_EXPORT_CACHE = "meta.exportcache";

    private Caps() {}
}
