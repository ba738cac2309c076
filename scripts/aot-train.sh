#!/usr/bin/env bash
# Trains a JDK AOT cache for Kiln's command line: usage aot-train.sh CACHE CLASSPATH JVM_FLAG...
# (JAVA_HOME set). One real build in a temporary state directory, then the same build with a
# changed context file under -XX:AOTCacheOutput=CACHE: a Dockerfile (the common case) whose
# recorded run takes cache hits, local sync, containers, a cache mount, a copy across stages and
# the image, OCI, local and tar exporters. Both go the way `kiln build` goes by default: the first
# finds no daemon for the state and starts one (with these JVM flags, as a user's first build
# does), the recorded one is a client of that daemon, so the cache holds the client's classes
# (gRPC, the session, the displays) and the daemon maps it too; the daemon is stopped at the end.
# The JVM writes the cache at exit even when the build fails (no root, no runc), so the cache then
# still covers start-up. ./kiln runs this after it builds itself; bench/jvm-flags.sh runs it for
# each set of flags it compares.
set -euo pipefail
cache=${1:?usage: aot-train.sh CACHE CLASSPATH JVM_FLAG...}
classpath=${2:?usage: aot-train.sh CACHE CLASSPATH JVM_FLAG...}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
# the training builds go through the training state's own daemon, whatever the caller's environment says
unset KILN_HOST
export KILN_DAEMON=1
work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-aot.XXXXXX")
# the daemon the first build started, if it recorded itself in the training state
stop_daemon() {
  local pid
  pid=$(sed -n 's/^pid=//p' "$work/state/daemon.properties" 2>/dev/null || true)
  if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
}
# an interrupted training leaves neither its directory, its daemon nor a half-written cache behind
trap 'stop_daemon; rm -rf "$work"' EXIT
trap 'rm -f "$cache" "$cache.config"; exit 130' INT TERM HUP

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
