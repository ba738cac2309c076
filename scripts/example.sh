#!/usr/bin/env bash
# The main job: builds examples/hello with Kiln and exports it to examples/hello/out.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
rootfs="$root/examples/.work/rootfs"
[ -x "$rootfs/bin/busybox" ] || "$root/scripts/busybox-rootfs.sh" "$rootfs"
"$root/kiln" --help >/dev/null   # builds Kiln on first use, so the examples jar exists
jar=$(ls "$root"/kiln-examples/target/kiln-examples-*.jar | head -n 1)
exec "$root/kiln" build \
  --frontend java:dev.kiln.examples.HelloBuild --frontend-classpath "$jar" \
  --local rootfs="$rootfs" --local context="$root/examples/hello/context" \
  --output type=local,dest="$root/examples/hello/out"
