#!/usr/bin/env bash
# Kill soak (not run in CI): N builds of a Dockerfile, each killed with SIGKILL at a random moment
# (pull of the context, RUN steps, layer export, tarball write), then one build that must succeed
# and give the same file tree as a clean build on a fresh state. Counts what the kills left behind,
# which must all be 0: mounts under the state, runtime containers, container processes still alive
# a moment after a kill, and temporary or partial files.
#   usage: scripts/kill-soak.sh [BUILDS] (default 100; KILL_MAX_MS bounds the random moment, 3000)
set -euo pipefail
builds=${1:-100}
max_ms=${KILL_MAX_MS:-3000}
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-soak.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$root/scripts/busybox-rootfs.sh" "$work/busybox" >/dev/null
mkdir -p "$work/context"
head -c 8000000 /dev/urandom > "$work/context/blob.bin"
cat > "$work/context/Dockerfile" <<'EOF'
FROM busybox
ARG NONCE
COPY blob.bin /data/
RUN echo "$NONCE" > /nonce && sleep 0.3 && cat /data/blob.bin /data/blob.bin > /data/twice.bin
RUN --mount=type=tmpfs,target=/scratch sleep 0.3 && md5sum /data/twice.bin > /data/sum && echo "soak-$NONCE" > /scratch/x
RUN sleep 0.2 && ls -l /data > /listing
EOF
state=$work/state
out=$work/out
# each killed build has its own nonce, so its RUN steps run again instead of coming from the cache
build() {  # STATE OUT NONCE; exec, so that a build started with & is the engine's own process
  exec "$root/kiln" build --state "$1" --progress quiet --build-context "busybox=$work/busybox" \
    --build-arg "NONCE=$3" --output "type=local,dest=$2" --output "type=oci,dest=$2.oci.tar" "$work/context"
}
tree() {  # DIR: one line per entry with type, mode, size and content digest (no times, no owners)
  (cd "$1" && find . -mindepth 1 -printf '%y %m %s %p\n' | sort | while read -r type mode size path; do
    if [ "$type" = f ]; then echo "$type $mode $size $path $(sha256sum < "$path" | cut -c1-16)";
    else echo "$type $mode $path"; fi
  done)
}
(build "$state" "$out" warm) >/dev/null 2>&1 || true   # builds the launcher, trains its AOT cache, warms the base
survivors=0
for i in $(seq "$builds"); do
  (build "$state" "$out" "$i") >/dev/null 2>&1 &
  pid=$!
  sleep "$(awk -v r=$RANDOM -v m="$max_ms" 'BEGIN { printf "%.3f", (r % m) / 1000 }')"
  # the subshell execs ./kiln, which execs java: $! is the engine's own process
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  sleep 0.5
  if pgrep -f "soak-" >/dev/null || pgrep -f "cat /data/blob.bin" >/dev/null; then
    survivors=$((survivors + 1))
  fi
  printf '\rkilled %d/%d' "$i" "$builds" >&2
done
echo >&2
(build "$state" "$out" last) > "$work/last.log" 2>&1 || { cat "$work/last.log"; echo "kill-soak: the build after the kills failed"; exit 1; }
(build "$work/clean-state" "$work/clean-out" last) >/dev/null 2>&1
mounts=$(grep -c " $work" /proc/self/mountinfo || true)
containers=$(runc --root "$state/worker/runtime/runc-state" list -q 2>/dev/null | grep -c . || true)
bundles=$(find "$state/worker/runtime/bundles" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
find "$state" "$work" -maxdepth 6 \( -name 'tmp-*' -o -name '*.partial' -o -name '.tmp-*' \) > "$work/temporary.txt" 2>/dev/null || true
temporary=$(wc -l < "$work/temporary.txt")
same=no
diff <(tree "$out") <(tree "$work/clean-out") > "$work/tree.diff" && same=yes
echo "builds killed:               $builds (each at a random moment up to ${max_ms} ms)"
echo "container processes alive:   $survivors (0.5 s after a kill)"
echo "mounts left:                 $mounts"
echo "runtime containers left:     $containers"
echo "bundles left:                $bundles"
echo "temporary or partial files:  $temporary"
echo "same tree as a clean build:  $same"
[ "$same" = yes ] || head -20 "$work/tree.diff"
sed "s|^$work/|  left: |" "$work/temporary.txt"
[ "$survivors$mounts$containers$bundles$temporary" = 00000 ] && [ "$same" = yes ]
