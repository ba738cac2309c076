#!/usr/bin/env bash
# Installs what Kiln's build and tests need on Debian (when root and missing),
# or stops with one line saying what to install.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/env.sh"

# command-to-package pairs: what the engine runs; with --tests also the peers the tests talk to
needed=(runc:runc crun:crun busybox:busybox-static git:git docker-registry:docker-registry)
if [ "${1:-}" = "--tests" ]; then
  needed+=(skopeo:skopeo umoci:umoci setsid:util-linux openssl:openssl)
  # foreign-platform RUN steps (the multi-platform tests) run under qemu-user registered with binfmt_misc
  needed+=(qemu-aarch64-static:qemu-user-static update-binfmts:binfmt-support)
fi
missing=()
for pair in "${needed[@]}"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${pair%%:*}" ] || missing+=("${pair#*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "kiln: installing ${missing[*]}" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "kiln: missing packages; install them: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

[ "${1:-}" = "--tests" ] || exit 0

# The kernel's binfmt_misc must be mounted for emulators to be registered; their packages register them on install,
# or on update-binfmts --enable when it was mounted later.
binfmt=/proc/sys/fs/binfmt_misc
if [ ! -e "$binfmt/qemu-aarch64" ]; then
  if [ "$(id -u)" = 0 ]; then
    mountpoint -q "$binfmt" || mount -t binfmt_misc binfmt_misc "$binfmt"
    update-binfmts --enable >/dev/null 2>&1 || true
  fi
  [ -e "$binfmt/qemu-aarch64" ] || {
    echo "kiln: qemu-aarch64 is not registered with binfmt_misc; as root: mount -t binfmt_misc binfmt_misc $binfmt && update-binfmts --enable" >&2
    exit 1
  }
fi

# Test material of the multi-platform tests: Debian's arm64 busybox-static. Without it those tests skip and say why.
deb=/var/cache/kiln/busybox-static_arm64.deb
if [ ! -s "$deb" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "kiln: downloading busybox-static:arm64 for the multi-platform tests" >&2
  mkdir -p "${deb%/*}"
  dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
  download=$(mktemp -d)
  if apt-get update -qq >/dev/null 2>&1 \
      && (cd "$download" && apt-get download -qq busybox-static:arm64 >/dev/null 2>&1); then
    mv "$download"/busybox-static_*_arm64.deb "$deb"
  else
    echo "kiln: busybox-static:arm64 could not be downloaded; the multi-platform tests will skip" >&2
  fi
  rm -rf "$download"
fi
