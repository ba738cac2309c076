package dev.kiln.gateway;

import dev.kiln.llb.pb.Platform;

/**
 * How to resolve an image's config.
 *
 * @param platform    the platform to pick from a multi-platform index; null for the worker's
 * @param resolveMode {@code default}, {@code pull} or {@code local}, as BuildKit's image.resolvemode
 * @param logName     the name progress shows for the resolution; empty for a default
 * @param store       a registry, or an OCI layout the client gave the build
 * @param storeId     which of the client's OCI layouts (BuildKit's StoreID); empty for the one the reference's last
 *                    path element names, and for a registry
 */
public record ResolveImageConfigOpt(
        Platform platform, String resolveMode, String logName, ImageStore store, String storeId) {

    /** Where an image is looked up. */
    public enum ImageStore {
        REGISTRY,
        OCI_LAYOUT
    }

    public ResolveImageConfigOpt {
        resolveMode = resolveMode == null || resolveMode.isEmpty() ? "default" : resolveMode;
        if (!resolveMode.equals("default") && !resolveMode.equals("pull") && !resolveMode.equals("local")) {
            throw new IllegalArgumentException("image resolve mode must be default, pull or local, not " + resolveMode);
        }
        logName = logName == null ? "" : logName;
        store = store == null ? ImageStore.REGISTRY : store;
        storeId = storeId == null ? "" : storeId;
    }

    /** Options without a store id: a registry, or the OCI layout the reference names. */
    public ResolveImageConfigOpt(Platform platform, String resolveMode, String logName, ImageStore store) {
        this(platform, resolveMode, logName, store, "");
    }

    public static ResolveImageConfigOpt defaults() {
        return new ResolveImageConfigOpt(null, "default", "", ImageStore.REGISTRY);
    }
}
