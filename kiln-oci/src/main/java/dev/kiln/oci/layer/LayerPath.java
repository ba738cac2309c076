package dev.kiln.oci.layer;

import java.util.ArrayList;
import java.util.List;

/** A tar entry's name checked and split into the components of a path inside the layer. */
final class LayerPath {
  private LayerPath() {}

  /**
   * The components of {@code name} with "." dropped and ".." applied; empty for the layer's root.
   *
   * @throws InvalidLayerException for absolute names and for ".." that climbs out of the layer
   */
  static List<String> components(String entry, String name, String what) throws InvalidLayerException {
    if (name.isEmpty()) {
      throw new InvalidLayerException(entry, what + " is empty");
    }
    if (name.indexOf('\0') >= 0) {
      throw new InvalidLayerException(entry, what + " contains a NUL character");
    }
    if (name.startsWith("/")) {
      throw new InvalidLayerException(entry, what + " \"" + name + "\" is absolute; layer paths must be relative");
    }
    List<String> components = new ArrayList<>();
    for (String component : name.split("/")) {
      if (component.isEmpty() || component.equals(".")) {
        continue;
      }
      if (component.equals("..")) {
        if (components.isEmpty()) {
          throw new InvalidLayerException(entry, what + " \"" + name + "\" climbs out of the layer with \"..\"");
        }
        components.removeLast();
      } else {
        components.add(component);
      }
    }
    return components;
  }

  static String join(List<String> components) {
    return String.join("/", components);
  }
}
