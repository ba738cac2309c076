#!/usr/bin/env bash
# Makes a minimal root filesystem from Debian's busybox-static in DIR: the base the examples and
# benchmarks build on, so that nothing needs a registry or the network.
set -euo pipefail
dir=${1:?usage: busybox-rootfs.sh DIR}
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || { echo "busybox-rootfs: busybox not found; install it: apt-get install busybox-static" >&2; exit 1; }
mkdir -p "$dir"/{bin,etc,tmp,root,proc,dev,sys,usr/bin,var}
chmod 1777 "$dir/tmp"
cp "$busybox" "$dir/bin/busybox"
for applet in $("$dir/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$dir/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$dir/etc/group"
