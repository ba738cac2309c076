#!/usr/bin/env bash
# Fills the disk of Kiln's state at each stage of a build in turn (pull, unpack, context, RUN,
# export) and checks what a user sees: the build fails with a message that the disk holding the
# state directory is full, nothing of the failed step stays behind (.partial, tmp- files), and the
# next build on the same state succeeds. The state lives on a small tmpfs mounted here (needs root);
# images come from Debian's docker-registry on 127.0.0.1, started here. Prints a table of results.
# Not run in CI: it mounts file systems and takes a few minutes.
#   usage: scripts/disk-full.sh [TMPFS_MEGABYTES]   (default 64)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
size=${1:-64}
[ "$(id -u)" = 0 ] || { echo "disk-full.sh: needs root (it mounts a tmpfs)" >&2; exit 1; }
command -v docker-registry > /dev/null || { echo "disk-full.sh: apt-get install docker-registry" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-disk-full.XXXXXX")
state=$work/state
registry_pid=
cleanup() {
  [ -z "$registry_pid" ] || kill "$registry_pid" 2>/dev/null || true
  mountpoint -q "$state" && umount "$state" 2>/dev/null || umount -l "$state" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

kiln() { timeout 600 "$root/kiln" "$@"; }
# A build on the small state; its output goes to $log.
build() { local log=$1; shift; kiln build --state "$state" --progress plain "$@" > "$log" 2>&1; }

# ---- a registry on 127.0.0.1 with the images the stages pull ----
source "$root/scripts/registry.sh"
kiln_registry_start "$work" "" error
reg=$registry
seed=$work/seed-state   # on the ordinary disk: making the images is not under test

mkdir -p "$work/busybox"
"$root/scripts/busybox-rootfs.sh" "$work/busybox/rootfs"
printf 'FROM scratch\nCOPY rootfs/ /\nENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n' \
  > "$work/busybox/Dockerfile"
kiln build --state "$seed" --progress quiet --output "type=image,name=$reg/busybox:1,push=true" \
  "$work/busybox" > "$work/seed.log" 2>&1 || { cat "$work/seed.log"; exit 1; }

# "random": a layer of random bytes larger than the tmpfs (no compression helps): fails while pulling.
# "zeros": a layer that is small compressed but larger than the tmpfs unpacked: fails while unpacking.
mkdir -p "$work/random" "$work/zeros"
head -c $(( (size + 16) << 20 )) /dev/urandom > "$work/random/random.bin"
head -c $(( (size + 16) << 20 )) /dev/zero > "$work/zeros/zeros.bin"
for image in random zeros; do
  printf 'FROM %s/busybox:1\nCOPY %s.bin /\n' "$reg" "$image" > "$work/$image/Dockerfile"
  kiln build --state "$seed" --progress quiet --output "type=image,name=$reg/$image:1,push=true" \
    "$work/$image" > "$work/seed.log" 2>&1 || { cat "$work/seed.log"; exit 1; }
done
rm -rf "$seed" "$work/random/random.bin" "$work/zeros/zeros.bin"

# ---- the stages ----
mkdir -p "$state"
mount -t tmpfs -o "size=${size}m" tmpfs "$state"
mkdir -p "$work/ctx/small" "$work/ctx/big"
printf 'FROM %s/busybox:1\nRUN echo ok > /ok\n' "$reg" > "$work/ctx/small/Dockerfile"

stage_dockerfile() {
  case $1 in
    pull) printf 'FROM %s/random:1\nRUN true\n' "$reg" ;;
    unpack) printf 'FROM %s/zeros:1\nRUN true\n' "$reg" ;;
    context) printf 'FROM %s/busybox:1\nCOPY big.bin /\n' "$reg" ;;
    RUN) printf 'FROM %s/busybox:1\nRUN dd if=/dev/zero of=/fill bs=1M count=%d\n' "$reg" $(( size * 2 )) ;;
    # the RUN fits (about 60% of the disk); compressing its layer into the content store does not
    export) printf 'FROM %s/busybox:1\nRUN head -c %d /dev/urandom > /random.bin\n' "$reg" $(( size * 6 / 10 << 20 )) ;;
  esac
}

leftovers() {
  find "$state" \( -name '*.partial' -o -name 'tmp-*' \) -path '*ingest*' 2>/dev/null | wc -l
}
free_mb() { df -m --output=avail "$state" | tail -1 | tr -d ' '; }

rows=()
failures=0
for stage in pull unpack context RUN export; do
  ctx=$work/ctx/$stage
  mkdir -p "$ctx"
  stage_dockerfile "$stage" > "$ctx/Dockerfile"
  if [ "$stage" = context ]; then
    head -c $(( (size + 16) << 20 )) /dev/urandom > "$ctx/big.bin"
  fi
  output=(--output "type=local,dest=$work/out-$stage")
  [ "$stage" = export ] && output=(--output "type=oci,dest=$work/out-$stage.tar")
  log=$work/$stage.log
  free_before=$(free_mb)
  set +e
  build "$log" "${output[@]}" "$ctx"
  code=$?
  set -e
  rm -f "$ctx/big.bin"
  if grep -q "the disk holding the state directory $state is full" "$log"; then said=yes; else said=NO; fi
  left=$(leftovers)
  free_after=$(free_mb)
  set +e
  build "$work/$stage-next.log" --output "type=local,dest=$work/next-$stage" "$work/ctx/small"
  next=$?
  set -e
  [ $next = 0 ] && [ -f "$work/next-$stage/ok" ] && next_ok=ok || next_ok="FAILED ($next)"
  verdict=pass
  if [ $code = 0 ] || [ $said != yes ] || [ "$left" != 0 ] || [ "$next_ok" != ok ]; then
    verdict=FAIL
    failures=$((failures + 1))
    { echo "---- $stage: failing build's output (last lines)"; tail -n 15 "$log"
      echo "---- $stage: next build's output (last lines)"; tail -n 15 "$work/$stage-next.log"; } >&2
  fi
  message=$(grep -m1 -o "the disk holding the state directory [^:]*is full" "$log" || grep -m1 -o "No space left on device" "$log" || echo "-")
  rows+=("$(printf '%-8s %-6s %-9s %-10s %-11s %-10s %-6s %s' "$stage" "$code" "$said" "$left" \
    "${free_before}/${free_after}" "$next_ok" "$verdict" "$message")")
done

echo
echo "state: $state on a ${size} MiB tmpfs; registry $reg"
printf '%-8s %-6s %-9s %-10s %-11s %-10s %-6s %s\n' stage exit says-full leftovers free-MiB next-build result message
for row in "${rows[@]}"; do echo "$row"; done
echo
[ $failures = 0 ] && echo "all stages pass" || { echo "$failures stage(s) failed"; exit 1; }
