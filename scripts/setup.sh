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
