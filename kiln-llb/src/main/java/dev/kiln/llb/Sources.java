package dev.kiln.llb;

import dev.kiln.core.GoJson;
import dev.kiln.core.GoPath;
import dev.kiln.core.ImageReference;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Source identifiers and attributes exactly as BuildKit's client writes them, since both are
 * part of a source op's digest.
 */
final class Sources {

    static final String GIT_AUTH_TOKEN = "GIT_AUTH_TOKEN";
    static final String GIT_AUTH_HEADER = "GIT_AUTH_HEADER";

    private Sources() {}

    static SourceNode local(String name, LocalOption... options) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a local source needs a name (the client directory it stands for)");
        }
        Map<String, String> attrs = new TreeMap<>();
        OpConstraints constraints = OpConstraints.of((Object[]) options);
        String session = "";
        List<String> include = List.of();
        List<String> exclude = List.of();
        List<String> follow = List.of();
        String sharedKeyHint = "";
        LocalOption.Differ differ = null;
        for (LocalOption option : options) {
            switch (option) {
                case LocalOption.SessionId s -> session = s.id();
                case LocalOption.IncludePatterns p -> include = p.patterns();
                case LocalOption.ExcludePatterns p -> exclude = p.patterns();
                case LocalOption.FollowPaths p -> follow = p.paths();
                case LocalOption.SharedKeyHint h -> sharedKeyHint = h.hint();
                case LocalOption.Differ d -> differ = d;
                case OpOption ignored -> {}
            }
        }
        if (!session.isEmpty()) {
            attrs.put(SourceNode.LOCAL_SESSION, session);
            constraints = constraints.withCaps(Caps.SOURCE_LOCAL_SESSION_ID);
        }
        if (!include.isEmpty()) {
            attrs.put("local.includepattern", GoJson.stringArray(include));
            constraints = constraints.withCaps(Caps.SOURCE_LOCAL_INCLUDE_PATTERNS);
        }
        if (!follow.isEmpty()) {
            attrs.put("local.followpaths", GoJson.stringArray(follow));
            constraints = constraints.withCaps(Caps.SOURCE_LOCAL_FOLLOW_PATHS);
        }
        if (!exclude.isEmpty()) {
            attrs.put("local.excludepatterns", GoJson.stringArray(exclude));
            constraints = constraints.withCaps(Caps.SOURCE_LOCAL_EXCLUDE_PATTERNS);
        }
        if (!sharedKeyHint.isEmpty()) {
            attrs.put("local.sharedkeyhint", sharedKeyHint);
            constraints = constraints.withCaps(Caps.SOURCE_LOCAL_SHARED_KEY_HINT);
        }
        if (differ != null) {
            attrs.put("local.differ", differ.differ().attr());
            if (differ.required()) {
                constraints = constraints.withCaps(Caps.SOURCE_LOCAL_DIFFER);
            }
        }
        return new SourceNode("local://" + name, attrs, constraints.withCaps(Caps.SOURCE_LOCAL));
    }

    static SourceNode image(String reference, ImageOption... options) {
        ImageReference ref = ImageReference.parseNormalized(reference).withDefaultTag();
        Map<String, String> attrs = new TreeMap<>();
        OpConstraints constraints = OpConstraints.of((Object[]) options).withCaps(Caps.SOURCE_IMAGE);
        for (ImageOption option : options) {
            switch (option) {
                case ImageOption.ResolveMode mode -> {
                    if (mode == ImageOption.ResolveMode.DEFAULT) {
                        attrs.remove("image.resolvemode");
                    } else {
                        attrs.put("image.resolvemode", mode.attr());
                    }
                    if (mode == ImageOption.ResolveMode.FORCE_PULL) {
                        constraints = constraints.withCaps(Caps.SOURCE_IMAGE_RESOLVE_MODE);
                    }
                }
                case ImageOption.RecordType type -> attrs.put("image.recordtype", type.type());
                case ImageOption.LayerLimit limit -> {
                    attrs.put("image.layerlimit", Integer.toString(limit.layers()));
                    constraints = constraints.withCaps(Caps.SOURCE_IMAGE_LAYER_LIMIT);
                }
                case ImageOption.Checksum checksum -> {
                    attrs.put("image.checksum", checksum.digest().toString());
                    constraints = constraints.withCaps(Caps.SOURCE_IMAGE_CHECKSUM);
                }
                case OpOption ignored -> {}
            }
        }
        return new SourceNode("docker-image://" + ref, attrs, constraints);
    }

    /**
     * @param fragment "ref" or "ref:subdir", as after the "#" of a Docker git URL; "" for the default branch
     */
    static SourceNode git(String url, String fragment, GitOption... options) {
        GitRemote remote = GitRemote.parse(url);
        String ref = fragment;
        String subdir = "";
        int colon = fragment.indexOf(':');
        if (colon >= 0) {
            ref = fragment.substring(0, colon);
            subdir = stripLeadingSlash(GoPath.join("/", fragment.substring(colon + 1)));
        }
        boolean keepGitDir = false;
        String authToken = GIT_AUTH_TOKEN;
        String authHeader = GIT_AUTH_HEADER;
        boolean userAuth = false;
        String knownHosts = "";
        String sshSock = "";
        String checksum = "";
        boolean skipSubmodules = false;
        for (GitOption option : options) {
            switch (option) {
                case GitOption.KeepGitDir ignored -> keepGitDir = true;
                case GitOption.Ref r -> ref = r.ref();
                case GitOption.SubDir d -> subdir = d.dir();
                case GitOption.AuthTokenSecret s -> {
                    authToken = s.secretName();
                    userAuth = true;
                }
                case GitOption.AuthHeaderSecret s -> {
                    authHeader = s.secretName();
                    userAuth = true;
                }
                case GitOption.KnownSshHosts h -> knownHosts = knownHosts + stripTrailingNewline(h.lines()) + "\n";
                case GitOption.MountSshSock s -> sshSock = s.sshId();
                case GitOption.Checksum c -> checksum = c.commit();
                case GitOption.SkipSubmodules ignored -> skipSubmodules = true;
                case OpOption ignored -> {}
            }
        }
        // One identifier for https and ssh remotes of the same repository: host, path, fragment.
        String id = remote.host() + GoPath.join("/", remote.path());
        if (!ref.isEmpty() || !subdir.isEmpty()) {
            id += "#" + ref + (subdir.isEmpty() ? "" : ":" + subdir);
        }
        Map<String, String> attrs = new TreeMap<>();
        OpConstraints constraints = OpConstraints.of((Object[]) options);
        if (keepGitDir) {
            attrs.put("git.keepgitdir", "true");
            constraints = constraints.withCaps(Caps.SOURCE_GIT_KEEP_DIR);
        }
        attrs.put("git.fullurl", remote.remote());
        constraints = constraints.withCaps(Caps.SOURCE_GIT_FULL_URL);
        if (!authToken.isEmpty()) {
            attrs.put("git.authtokensecret", authToken);
        }
        if (!authHeader.isEmpty()) {
            attrs.put("git.authheadersecret", authHeader);
        }
        if (userAuth) {
            constraints = constraints.withCaps(Caps.SOURCE_GIT_HTTP_AUTH);
        }
        if (remote.scheme().equals("ssh")) {
            // BuildKit's client scans the host's keys over the network when none are given; Kiln does not.
            if (!knownHosts.isEmpty()) {
                attrs.put("git.knownsshhosts", knownHosts);
            }
            attrs.put("git.mountsshsock", sshSock.isEmpty() ? "default" : sshSock);
            constraints = constraints.withCaps(Caps.SOURCE_GIT_KNOWN_SSH_HOSTS, Caps.SOURCE_GIT_MOUNT_SSH_SOCK);
        }
        if (!checksum.isEmpty()) {
            attrs.put("git.checksum", checksum);
            constraints = constraints.withCaps(Caps.SOURCE_GIT_CHECKSUM);
        }
        if (skipSubmodules) {
            attrs.put("git.skipsubmodules", "true");
            constraints = constraints.withCaps(Caps.SOURCE_GIT_SKIP_SUBMODULES);
        }
        return new SourceNode("git://" + id, attrs, constraints.withCaps(Caps.SOURCE_GIT));
    }

    static SourceNode http(String url, HttpOption... options) {
        if (url == null || !(url.startsWith("http://") || url.startsWith("https://"))) {
            throw new IllegalArgumentException("an http source needs an http:// or https:// URL, not \"" + url + "\"");
        }
        Map<String, String> attrs = new TreeMap<>();
        OpConstraints constraints = OpConstraints.of((Object[]) options);
        for (HttpOption option : options) {
            switch (option) {
                case HttpOption.Checksum c -> {
                    attrs.put("http.checksum", c.digest().toString());
                    constraints = constraints.withCaps(Caps.SOURCE_HTTP_CHECKSUM);
                }
                case HttpOption.Filename f -> putOrRemove(attrs, "http.filename", f.name());
                case HttpOption.Chmod m -> {
                    putOrRemove(attrs, "http.perm", m.mode() == 0 ? "" : "0" + Integer.toOctalString(m.mode()));
                    if (m.mode() != 0) {
                        constraints = constraints.withCaps(Caps.SOURCE_HTTP_PERM);
                    }
                }
                case HttpOption.Chown c -> {
                    putOrRemove(attrs, "http.uid", c.uid() == 0 ? "" : Integer.toString(c.uid()));
                    putOrRemove(attrs, "http.gid", c.gid() == 0 ? "" : Integer.toString(c.gid()));
                    if (c.uid() != 0 || c.gid() != 0) {
                        constraints = constraints.withCaps(Caps.SOURCE_HTTP_UID_GID);
                    }
                }
                case HttpOption.AuthHeaderSecret s -> {
                    putOrRemove(attrs, "http.authheadersecret", s.secretName());
                    constraints = constraints.withCaps(Caps.SOURCE_HTTP_AUTH);
                }
                case HttpOption.Header h -> {
                    putOrRemove(attrs, "http.header.accept", h.accept());
                    putOrRemove(attrs, "http.header.user-agent", h.userAgent());
                    constraints = constraints.withCaps(Caps.SOURCE_HTTP_HEADER);
                }
                case OpOption ignored -> {}
            }
        }
        return new SourceNode(url, attrs, constraints.withCaps(Caps.SOURCE_HTTP));
    }

    static SourceNode ociLayout(String reference, OciLayoutOption... options) {
        if (reference == null || reference.isEmpty()) {
            throw new IllegalArgumentException(
                    "an OCI layout source needs a reference (store content, e.g. name@sha256:...)");
        }
        Map<String, String> attrs = new TreeMap<>();
        for (OciLayoutOption option : options) {
            switch (option) {
                case OciLayoutOption.Store s -> {
                    putOrRemove(attrs, "oci.session", s.sessionId());
                    putOrRemove(attrs, "oci.store", s.storeId());
                }
                case OciLayoutOption.LayerLimit l -> attrs.put("oci.layerlimit", Integer.toString(l.layers()));
                case OpOption ignored -> {}
            }
        }
        return new SourceNode(
                "oci-layout://" + reference,
                attrs,
                OpConstraints.of((Object[]) options).withCaps(Caps.SOURCE_OCI_LAYOUT));
    }

    private static void putOrRemove(Map<String, String> attrs, String key, String value) {
        if (value.isEmpty()) {
            attrs.remove(key);
        } else {
            attrs.put(key, value);
        }
    }

    private static String stripLeadingSlash(String path) {
        return path.startsWith("/") ? path.substring(1) : path;
    }

    private static String stripTrailingNewline(String text) {
        return text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
    }
}
