#!/usr/bin/env bash
# Trains JDK AOT caches for Kiln's command line and its daemon:
#   aot-train.sh [--daemon-cache DAEMON_CACHE] CACHE CLASSPATH JVM_FLAG...   (JAVA_HOME set)
# One real build in a temporary state directory, then the same build with a changed context file
# under -XX:AOTCacheOutput=CACHE: a Dockerfile (the common case) whose recorded run takes cache hits,
# local sync, containers, a cache mount, a copy across stages and the image, OCI, local and tar
# exporters. Both builds are clients of the training state's daemon, as `kiln build` is by default,
# so CACHE holds the client's classes (gRPC, the session, the displays).
# - With --daemon-cache, the script starts that daemon itself (with these JVM flags) under
#   -XX:AOTCacheOutput=DAEMON_CACHE, and stops it at the end, when the JVM writes the cache: the
#   engine's classes, linked, and the methods' profiles from both builds. A daemon started with it
#   answers its first build in half the time (0.5 s against 1.1 s, a cached build after a restart).
# - Without it, the first build starts the daemon as a user's first build does, and the daemon maps
#   CACHE.
# The JVM writes a cache at exit even when the build fails (no root, no runc), so the cache then
# still covers start-up. ./kiln runs this after it builds itself; bench/jvm-flags.sh runs it for
# each set of flags it compares.
set -euo pipefail
usage="usage: aot-train.sh [--daemon-cache DAEMON_CACHE] CACHE CLASSPATH JVM_FLAG..."
daemon_cache=""
if [ "${1:-}" = --daemon-cache ]; then
  daemon_cache=${2:?$usage}
  shift 2
fi
cache=${1:?$usage}
classpath=${2:?$usage}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
# the training builds go through the training state's own daemon, whatever the caller's environment says
unset KILN_HOST
export KILN_DAEMON=1
work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-aot.XXXXXX")
# the training state's daemon, if it recorded itself there; one that records a cache gets the time to write it
stop_daemon() {
  local pid
  pid=$(sed -n 's/^pid=//p' "$work/state/daemon.properties" 2>/dev/null || true)
  if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
    local tenths=100
    [ -z "$daemon_cache" ] || tenths=1800
    for _ in $(seq "$tenths"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
}
# an interrupted training leaves neither its directory, its daemon nor a half-written cache behind
trap 'stop_daemon; rm -rf "$work"' EXIT
trap 'rm -f "$cache" "$cache.config" ${daemon_cache:+"$daemon_cache" "$daemon_cache.config"}; exit 130' INT TERM HUP

"$here/busybox-rootfs.sh" "$work/context/rootfs" || true
cat > "$work/context/Dockerfile" <<'EOF'
FROM scratch AS base
COPY rootfs/ /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

FROM base AS build
WORKDIR /src
COPY message.txt .
RUN --mount=type=cache,target=/cache wc -c message.txt > size.txt && cp size.txt /cache/

FROM base
LABEL org.opencontainers.image.title=kiln-aot-training
COPY --from=build /src/ /opt/
RUN cat /opt/size.txt > /opt/report.txt
USER nobody
CMD ["sh"]
EOF
if [ -n "$daemon_cache" ]; then
  # -Dkiln.exit=jvm: the JVM writes the cache at its own exit, which the command's quick exit would skip
  "$JAVA_HOME/bin/java" "$@" -XX:AOTCacheOutput="$daemon_cache" -Dkiln.exit=jvm -cp "$classpath" \
    dev.kiln.cli.Main daemon --state "$work/state" --idle-timeout 0 > "$work/daemon.log" 2>&1 < /dev/null &
  for _ in $(seq 300); do [ -S "$work/state/kiln.sock" ] && break; sleep 0.1; done
fi
build=(dev.kiln.cli.Main build --state "$work/state" --progress plain
  --output type=image,name=kiln-aot-training "$work/context")
echo "trained once" > "$work/context/message.txt"
timeout 300 "$JAVA_HOME/bin/java" "$@" -cp "$classpath" "${build[@]}" || true
echo "trained twice" > "$work/context/message.txt"
# -Dkiln.exit=jvm: the JVM writes the cache at its own exit, which the command's quick exit would skip
timeout 300 "$JAVA_HOME/bin/java" "$@" -XX:AOTCacheOutput="$cache" -Dkiln.exit=jvm -cp "$classpath" "${build[@]}" \
  --output type=oci,dest="$work/out.oci.tar" --output type=local,dest="$work/out" \
  --output type=tar,dest="$work/out.tar" || true
[ -s "$cache" ]
