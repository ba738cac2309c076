package dev.kiln.engine.export;

import dev.kiln.oci.Descriptor;
import java.util.List;

/**
 * What an image export makes of a result: one image ({@link AssembledImage}), or an index of one image per platform
 * ({@link AssembledIndex}) for a result with a reference per platform.
 */
sealed interface ExportedImage permits AssembledImage, AssembledIndex {

    /** What names, pushes and archives point at: the manifest of the one image, or the index. */
    Descriptor descriptor();

    /** Every image of the export, in the order the index lists them. */
    List<AssembledImage> images();
}
