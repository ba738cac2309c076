package dev.kiln.gateway;

import dev.kiln.llb.pb.CacheOpt;
import dev.kiln.llb.pb.MountType;
import dev.kiln.llb.pb.SSHOpt;
import dev.kiln.llb.pb.SecretOpt;

/**
 * A filesystem mounted into a container: a solved reference (for bind mounts), or a cache, tmpfs,
 * secret or SSH mount described by its options.
 *
 * @param selector a path inside the reference to mount instead of its root; empty for the root
 * @param resultId the id of a previous result, as an alternative to {@code ref}; empty for none
 */
public record Mount(
        String selector,
        String dest,
        String resultId,
        Reference ref,
        boolean readonly,
        MountType mountType,
        CacheOpt cacheOpt,
        SecretOpt secretOpt,
        SSHOpt sshOpt) {

    public Mount {
        selector = selector == null ? "" : selector;
        resultId = resultId == null ? "" : resultId;
        mountType = mountType == null ? MountType.BIND : mountType;
        if (dest == null || dest.isEmpty()) {
            throw new IllegalArgumentException("a container mount needs a destination");
        }
    }

    public static Mount bind(String dest, Reference ref, boolean readonly) {
        return new Mount("", dest, "", ref, readonly, MountType.BIND, null, null, null);
    }

    /** A step's mount as its LLB describes it ({@code pb.Mount}), of {@code ref}'s files (null: none). */
    public static Mount of(dev.kiln.llb.pb.Mount mount, Reference ref) {
        return new Mount(
                mount.getSelector(),
                mount.getDest(),
                "",
                ref,
                mount.getReadonly(),
                mount.getMountType(),
                mount.hasCacheOpt() ? mount.getCacheOpt() : null,
                mount.hasSecretOpt() ? mount.getSecretOpt() : null,
                mount.hasSSHOpt() ? mount.getSSHOpt() : null);
    }

    /**
     * This mount as LLB describes it ({@code pb.Mount}), but for how its files are named, which its user adds: the
     * reference's result id for a gateway, an output for a container in the engine.
     */
    public dev.kiln.llb.pb.Mount.Builder toProto() {
        dev.kiln.llb.pb.Mount.Builder wire = dev.kiln.llb.pb.Mount.newBuilder()
                .setDest(dest)
                .setSelector(selector)
                .setReadonly(readonly)
                .setMountType(mountType);
        if (cacheOpt != null) {
            wire.setCacheOpt(cacheOpt);
        }
        if (secretOpt != null) {
            wire.setSecretOpt(secretOpt);
        }
        if (sshOpt != null) {
            wire.setSSHOpt(sshOpt);
        }
        return wire;
    }
}
