package dev.kiln.oci.registry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One challenge of a WWW-Authenticate header (RFC 7235), e.g.
 * {@code Bearer realm="https://auth.example/token",service="registry",scope="repository:app:pull"}.
 *
 * @param scheme the scheme in lower case: "basic" or "bearer"
 * @param parameters the auth-params, names in lower case
 */
record AuthChallenge(String scheme, Map<String, String> parameters) {

    AuthChallenge {
        parameters = Map.copyOf(parameters);
    }

    String parameter(String name) {
        return parameters.getOrDefault(name, "");
    }

    /** Every challenge in the headers; a header may hold several, separated by commas. */
    static List<AuthChallenge> parse(List<String> headers) {
        List<AuthChallenge> challenges = new ArrayList<>();
        for (String header : headers) {
            parseHeader(header, challenges);
        }
        return challenges;
    }

    private static void parseHeader(String header, List<AuthChallenge> into) {
        int at = 0;
        int length = header.length();
        String scheme = null;
        Map<String, String> parameters = new LinkedHashMap<>();
        while (at < length) {
            at = skip(header, at, " \t,");
            if (at >= length) {
                break;
            }
            int start = at;
            while (at < length && isTokenChar(header.charAt(at))) {
                at++;
            }
            if (at == start) {
                at++;
                continue;
            }
            String token = header.substring(start, at);
            int afterSpace = skip(header, at, " \t");
            if (afterSpace < length && header.charAt(afterSpace) == '=' && scheme != null) {
                at = skip(header, afterSpace + 1, " \t");
                StringBuilder value = new StringBuilder();
                if (at < length && header.charAt(at) == '"') {
                    at++;
                    while (at < length && header.charAt(at) != '"') {
                        char c = header.charAt(at++);
                        if (c == '\\' && at < length) {
                            c = header.charAt(at++);
                        }
                        value.append(c);
                    }
                    at++;
                } else {
                    while (at < length && header.charAt(at) != ',' && header.charAt(at) != ' ') {
                        value.append(header.charAt(at++));
                    }
                }
                parameters.put(token.toLowerCase(Locale.ROOT), value.toString());
            } else {
                if (scheme != null) {
                    into.add(new AuthChallenge(scheme, parameters));
                    parameters = new LinkedHashMap<>();
                }
                scheme = token.toLowerCase(Locale.ROOT);
            }
        }
        if (scheme != null) {
            into.add(new AuthChallenge(scheme, parameters));
        }
    }

    private static int skip(String text, int at, String chars) {
        while (at < text.length() && chars.indexOf(text.charAt(at)) >= 0) {
            at++;
        }
        return at;
    }

    private static boolean isTokenChar(char c) {
        return c > ' ' && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0;
    }
}
