package dev.kiln.oci.layer;

import java.util.ArrayList;
import java.util.List;

/**
 * A tar entry's name checked and split into the components of a path inside the layer. Names are read as containerd
 * (and so BuildKit and Docker) reads them, relative to the layer's root whatever their form: "/etc/x", "./etc/x" and
 * "etc/x" are one file, and "/", "./" and "." the root itself (umoci writes "/" for it). Only ".." can reach outside,
 * and is refused where it would.
 */
final class LayerPath {
    private LayerPath() {}

    /**
     * The components of {@code name} with leading "/", empty components and "." dropped and ".." applied; empty for
     * the layer's root.
     *
     * @throws InvalidLayerException for empty names and for ".." that climbs out of the layer, "/../x" included
     */
    static List<String> components(String entry, String name, String what) throws InvalidLayerException {
        if (name.isEmpty()) {
            throw new InvalidLayerException(entry, what + " is empty");
        }
        if (name.indexOf('\0') >= 0) {
            throw new InvalidLayerException(entry, what + " contains a NUL character");
        }
        List<String> components = new ArrayList<>();
        for (String component : name.split("/")) {
            if (component.isEmpty() || component.equals(".")) {
                continue;
            }
            if (component.equals("..")) {
                if (components.isEmpty()) {
                    throw new InvalidLayerException(
                            entry, what + " \"" + name + "\" climbs out of the layer with \"..\"");
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
