package dev.kiln.api;

import dev.kiln.api.gateway.Ref;
import dev.kiln.api.gateway.RefMap;
import dev.kiln.api.gateway.RefMapDeprecated;
import dev.kiln.api.gateway.Result;
import java.util.Map;

/**
 * The references of a gateway {@link Result} in the form its reader understands: a reader with the
 * proto.refarray capability gets Ref messages (with their definitions), an older one only the references' ids in
 * the deprecated fields. The daemon writes results this way for its frontends, a frontend for the daemon.
 */
public final class ResultRefs {

    private ResultRefs() {}

    /** Sets {@code out}'s named references, in {@code refs}' order. */
    public static void putRefs(Result.Builder out, Map<String, Ref> refs, boolean refArrays) {
        if (refArrays) {
            out.setRefs(RefMap.newBuilder().putAllRefs(refs));
        } else {
            RefMapDeprecated.Builder ids = RefMapDeprecated.newBuilder();
            refs.forEach((name, ref) -> ids.putRefs(name, ref.getId()));
            out.setRefsDeprecated(ids);
        }
    }

    /** Sets {@code out}'s single reference. */
    public static void putRef(Result.Builder out, Ref ref, boolean refArrays) {
        if (refArrays) {
            out.setRef(ref);
        } else {
            out.setRefDeprecated(ref.getId());
        }
    }
}
