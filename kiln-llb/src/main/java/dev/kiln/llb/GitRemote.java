package dev.kiln.llb;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A git remote as BuildKit's gitutil parses it: a URL with one of git's protocols, or an
 * scp-style "user@host:path"; anything else is taken as an https URL without its scheme.
 *
 * @param scheme http, https, ssh or git
 * @param host the host (and port) without user info
 * @param path the path on the host
 * @param remote the URL to give git: the input without query and fragment
 */
record GitRemote(String scheme, String host, String path, String remote) {

    private static final Pattern PROTOCOL = Pattern.compile("^[a-zA-Z0-9]+://");
    private static final Pattern SCP_STYLE =
            Pattern.compile("^([a-zA-Z0-9_-]+)@([a-zA-Z0-9.-]+):(.*?)(?:\\?(.*?))?(?:#(.*))?$");
    private static final Set<String> PROTOCOLS = Set.of("http", "https", "ssh", "git");

    static GitRemote parse(String url) {
        Matcher protocol = PROTOCOL.matcher(url);
        if (protocol.find()) {
            String scheme =
                    protocol.group().substring(0, protocol.group().length() - 3).toLowerCase(Locale.ROOT);
            if (!PROTOCOLS.contains(scheme)) {
                throw new IllegalArgumentException("git remote \"" + url + "\" uses protocol " + scheme
                        + "; git sources support http, https, ssh and git");
            }
            return fromUrl(url, scheme);
        }
        Matcher scp = SCP_STYLE.matcher(url);
        if (scp.matches()) {
            String path = scp.group(3);
            return new GitRemote("ssh", scp.group(2), path, scp.group(1) + "@" + scp.group(2) + ":" + path);
        }
        return fromUrl("https://" + url, "https");
    }

    private static GitRemote fromUrl(String url, String scheme) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("invalid git remote \"" + url + "\": " + e.getMessage(), e);
        }
        String authority = uri.getRawAuthority() == null ? "" : uri.getRawAuthority();
        String host = authority.substring(authority.lastIndexOf('@') + 1);
        int cut = url.length();
        int afterScheme = url.indexOf("://") + 3;
        for (char c : new char[] {'?', '#'}) {
            int at = url.indexOf(c, afterScheme);
            if (at >= 0 && at < cut) {
                cut = at;
            }
        }
        return new GitRemote(scheme, host, uri.getPath() == null ? "" : uri.getPath(), url.substring(0, cut));
    }
}
