package dev.kiln.llb;

import java.util.Objects;

/** An option of {@link State#ociLayout}. */
public sealed interface OciLayoutOption permits OciLayoutOption.Store, OciLayoutOption.LayerLimit, OpOption {

    /** The client session and the store (by id) that hold the layout. */
    static OciLayoutOption store(String sessionId, String storeId) {
        return new Store(sessionId, storeId);
    }

    static OciLayoutOption layerLimit(int layers) {
        return new LayerLimit(layers);
    }

    record Store(String sessionId, String storeId) implements OciLayoutOption {
        public Store {
            Objects.requireNonNull(sessionId, "sessionId");
            Objects.requireNonNull(storeId, "storeId");
        }
    }

    record LayerLimit(int layers) implements OciLayoutOption {
        public LayerLimit {
            if (layers < 0) {
                throw new IllegalArgumentException("layer limit must be >= 0, not " + layers);
            }
        }
    }
}
