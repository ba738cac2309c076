#!/usr/bin/env bash
# The main job: builds examples/hello/Dockerfile to an OCI image with Kiln, as `docker build`
# would, and pushes it to a registry on 127.0.0.1 (Debian's docker-registry, started here).
# The base image is itself built by Kiln from Debian's busybox-static, so nothing comes from
# the internet. Outputs: examples/hello/out/hello.oci.tar and the image in the registry.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
work="$root/examples/.work"
mkdir -p "$work"

# A registry on 127.0.0.1, stopped when this script ends. The port stays the same from run to run
# (the image names contain it, so a second run is a cache hit), unless something else holds it.
source "$root/scripts/registry.sh"
port=5123
if (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  port=$(kiln_free_port)
fi
kiln_registry_start "$work" "$port"
trap 'kill $registry_pid 2>/dev/null || true' EXIT

[ -x "$root/examples/busybox/rootfs/bin/busybox" ] || "$root/scripts/busybox-rootfs.sh" "$root/examples/busybox/rootfs"

echo "== the base image: FROM scratch + busybox-static, pushed to $registry/busybox" >&2
"$root/kiln" build --progress plain -f "$root/examples/busybox/Dockerfile" \
  --output "type=image,name=$registry/busybox:latest,push=true" "$root/examples/busybox"

echo "== examples/hello/Dockerfile on that base, pushed to $registry/hello and written as an OCI archive" >&2
mkdir -p "$root/examples/hello/out"
"$root/kiln" build --progress plain -f "$root/examples/hello/Dockerfile" \
  --build-arg "BASE=$registry/busybox:latest" \
  --metadata-file "$root/examples/hello/out/metadata.json" \
  --output "type=image,name=$registry/hello:latest,push=true" \
  --output "type=oci,dest=$root/examples/hello/out/hello.oci.tar,name=hello:latest" \
  "$root/examples/hello"
echo "== done: $(cat "$root/examples/hello/out/metadata.json" | tr -d '\n ')" >&2
