package dev.kiln.worker.fs;

import java.util.ArrayList;
import java.util.List;

/**
 * Lexical slash-separated path operations with Go's path/filepath semantics, because LLB paths, wildcards and
 * patterns are defined by what BuildKit's Go code does with them.
 */
final class GoPath {

  private GoPath() {}

  /** Go's filepath.Clean: shortest equivalent path, ".." resolved lexically, never empty ("." instead). */
  static String clean(String path) {
    if (path.isEmpty()) {
      return ".";
    }
    boolean rooted = path.charAt(0) == '/';
    List<String> out = new ArrayList<>();
    for (String part : path.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (!out.isEmpty() && !out.getLast().equals("..")) {
          out.removeLast();
        } else if (!rooted) {
          out.add("..");
        }
        continue;
      }
      out.add(part);
    }
    String joined = String.join("/", out);
    if (rooted) {
      return "/" + joined;
    }
    return joined.isEmpty() ? "." : joined;
  }

  /** filepath.Join("/", path): an absolute clean path where ".." never climbs above "/". */
  static String absolute(String path) {
    return clean("/" + path);
  }

  /** The non-empty elements of a path, in order. */
  static List<String> elements(String path) {
    List<String> out = new ArrayList<>();
    for (String part : path.split("/")) {
      if (!part.isEmpty()) {
        out.add(part);
      }
    }
    return out;
  }

  /** Go's filepath.Base: last element after trailing slashes are removed; "/" for a root, "." for empty. */
  static String base(String path) {
    if (path.isEmpty()) {
      return ".";
    }
    int end = path.length();
    while (end > 0 && path.charAt(end - 1) == '/') {
      end--;
    }
    if (end == 0) {
      return "/";
    }
    int start = path.lastIndexOf('/', end - 1) + 1;
    return path.substring(start, end);
  }

  /** Go's filepath.Dir: everything but the last element, cleaned. */
  static String dir(String path) {
    int slash = path.lastIndexOf('/');
    return clean(path.substring(0, slash + 1));
  }

  /** The root-relative form used in messages: always absolute and clean. */
  static String display(String path) {
    return absolute(path);
  }

  static String join(String parent, String child) {
    if (parent.isEmpty()) {
      return child;
    }
    if (child.isEmpty()) {
      return parent;
    }
    return parent.endsWith("/") ? parent + child : parent + "/" + child;
  }
}
