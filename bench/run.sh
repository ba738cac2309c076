#!/usr/bin/env bash
# Times whole commands side by side: Kiln and Buildah build the same small image the same way, each
# timed from the user's command line, for three scenarios:
#   cold         empty state and cache before every run
#   cached       nothing changed since the last build: every step is a cache hit
#   incremental  one context file changed: the COPY of the context and the RUN after it run again
#
# The workload is DESIGN.md's (a busybox base, two RUN steps, one COPY from the context). There is
# no registry in the picture, so the base is a busybox rootfs from scripts/busybox-rootfs.sh, copied
# in with `FROM scratch` + `COPY rootfs/ /` (bench/workload.sh writes the Containerfile). By default
# both tools build that very Containerfile; with BENCH_KILN_FRONTEND=java Kiln instead runs the same
# steps as an LLB graph written in Java (dev.kiln.examples.BenchBuild, base as local source "rootfs").
#
# Equivalent work, as far as the two tools allow:
#  - both run each RUN step in a runc container (/usr/sbin/runc, Buildah with --isolation=oci) on
#    overlayfs, in the host's network namespace: Kiln runs a RUN step of the default (sandbox)
#    network mode there for now, and Buildah 1.28 has no RUN --network=none, so Buildah gets
#    --network=host (nothing in the build uses the network);
#  - both keep a build cache: Buildah with --layers (off by default for `buildah build`), Kiln always;
#  - both commit the result: Buildah an image (one layer per step) into its containers-storage,
#    tagged kiln-bench; Kiln (--output type=image,name=kiln-bench) an image whose layers it
#    compresses with gzip into its content store, named locally. On a fully cached build both only
#    name an image they already have. With BENCH_KILN_OUTPUT=tar or local Kiln instead writes the
#    root filesystem to a tar file or a directory, again on every build, cached or not.
#  - both print their usual progress (to a file).
# Runs go round-robin (bench/lib.sh): on a shared machine a change of load then hits both tools.
#
# Usage: bench/run.sh                 (as root; installs buildah and GNU time with apt-get if missing)
#   BENCH_RUNS=10 BENCH_WARMUP=2      timed runs and warm-up runs per tool and scenario
#   BENCH_SCENARIOS="cold cached incremental"
#   BENCH_WORK=/var/tmp/kiln-bench    scratch directory (not on overlayfs; removed at the end)
#   BENCH_RESULTS=FILE                where the raw numbers go (default bench/results/DATE.txt)
#   BENCH_KILN_FRONTEND=dockerfile    or java: the Java graph instead of the Containerfile
#   BENCH_KILN_OUTPUT=image           or tar, or local: export the root filesystem instead of an image
# No network is used: nothing is pulled, and no RUN step reaches out.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${BENCH_RUNS:-10}
warmup=${BENCH_WARMUP:-2}
scenarios=${BENCH_SCENARIOS:-cold cached incremental}
work=${BENCH_WORK:-/var/tmp/kiln-bench}
results=${BENCH_RESULTS:-$root/bench/results/$(date +%Y-%m-%d).txt}
kiln_output=${BENCH_KILN_OUTPUT:-image}
kiln_frontend=${BENCH_KILN_FRONTEND:-dockerfile}
case "$root$work" in *[[:space:]]*) echo "bench: paths with spaces are not supported: $root, $work" >&2; exit 1 ;; esac

[ "$(id -u)" = 0 ] || { echo "bench: run as root (both tools mount overlayfs and start runc containers)" >&2; exit 1; }
"$root/scripts/setup.sh"
source "$root/scripts/env.sh"
missing=()
for pair in buildah:buildah /usr/bin/time:time; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bench: installing ${missing[*]}" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[ "$(findmnt -n -o FSTYPE -T "$(dirname "$work")")" != overlay ] \
  || { echo "bench: $work is on overlayfs, which cannot hold overlay upper directories; set BENCH_WORK" >&2; exit 1; }

# Kiln builds itself (and its AOT cache) on first use: do that before any timing.
"$root/kiln" --help >/dev/null 2>&1 || "$root/kiln" --help
examples_jars=("$root"/kiln-examples/target/kiln-examples-*.jar)
examples_jar=${examples_jars[0]}

source "$root/bench/lib.sh"
bench_clean "$work"
mkdir -p "$work/times"
"$root/bench/workload.sh" "$work/ctx"
bench_dir=$work/times

kiln_state=$work/kiln-state
buildah_store=$work/buildah
case $kiln_output in
  image) kiln_export="--output type=image,name=kiln-bench" ;;
  tar | local) kiln_export="--output type=$kiln_output,dest=$work/kiln-out.$kiln_output" ;;
  *) echo "bench: BENCH_KILN_OUTPUT is image, tar or local, not $kiln_output" >&2; exit 1 ;;
esac
case $kiln_frontend in
  java) kiln_build="$root/kiln build --state $kiln_state --frontend java:dev.kiln.examples.BenchBuild \
--frontend-classpath $examples_jar --local rootfs=$work/ctx/rootfs --local context=$work/ctx/src" ;;
  dockerfile) kiln_build="$root/kiln build --state $kiln_state -f $work/ctx/Containerfile $work/ctx" ;;
  *) echo "bench: BENCH_KILN_FRONTEND is dockerfile or java, not $kiln_frontend" >&2; exit 1 ;;
esac
kiln_cmd="$kiln_build $kiln_export"
buildah_global="buildah --root $buildah_store/root --runroot $buildah_store/run --storage-driver overlay"
buildah_cmd="$buildah_global build --runtime /usr/sbin/runc --isolation oci --network host --layers \
-f $work/ctx/Containerfile -t kiln-bench $work/ctx"
# a new content each time, so each run sees a changed file whichever tool ran before it
change_context="date +%s%N > $work/ctx/src/changed.txt"

# Both tools must produce the same /app/report.txt, or they did not do the same work.
check_same_result() {
  # the timed output, and a tar of the same result to read the report from
  $kiln_cmd --output type=tar,dest="$work/check.tar" >"$work/check.log" 2>&1 \
    || { cat "$work/check.log" >&2; echo "bench: kiln failed" >&2; exit 1; }
  $buildah_cmd >"$work/check.log" 2>&1 || { cat "$work/check.log" >&2; echo "bench: buildah failed" >&2; exit 1; }
  local kiln_report buildah_report container
  kiln_report=$(tar -xOf "$work/check.tar" app/report.txt 2>/dev/null || tar -xOf "$work/check.tar" ./app/report.txt)
  container=$($buildah_global from kiln-bench)
  buildah_report=$(cat "$($buildah_global mount "$container")/app/report.txt")
  $buildah_global umount "$container" >/dev/null
  $buildah_global rm "$container" >/dev/null
  if [ "$kiln_report" != "$buildah_report" ]; then
    printf 'bench: the tools built different results:\nkiln:\n%s\nbuildah:\n%s\n' "$kiln_report" "$buildah_report" >&2
    exit 1
  fi
}

# ./kiln rebuilds itself when a source file changes, which would land inside a timed run: in a
# tree that others edit, bench a clone (git clone . /var/tmp/kiln-clone && /var/tmp/kiln-clone/bench/run.sh).
launcher_stamp() { stat -c %Y.%s "$root/kiln-cli/target/kiln.built" "$root/kiln-cli/target/kiln.aot" 2>/dev/null || true; }

check_same_result
stamp_before=$(launcher_stamp)
summary=()
raw=()
for scenario in $scenarios; do
  echo "bench: $scenario ($warmup warm-up and $runs timed rounds, kiln and buildah in turn)" >&2
  case $scenario in
    cold) kiln_prepare="rm -rf $kiln_state" buildah_prepare="rm -rf $buildah_store" ;;
    cached) kiln_prepare="" buildah_prepare="" ;;
    incremental) kiln_prepare=$change_context buildah_prepare=$change_context ;;
    *) echo "bench: unknown scenario $scenario (cold, cached, incremental)" >&2; exit 1 ;;
  esac
  bench_reset
  bench_add "$scenario-kiln" "$kiln_prepare" "$kiln_cmd"
  bench_add "$scenario-buildah" "$buildah_prepare" "$buildah_cmd"
  load_before=$(cut -d' ' -f1 /proc/loadavg)
  bench_round_robin "$runs" "$warmup"
  load_after=$(cut -d' ' -f1 /proc/loadavg)
  line=$(awk -v s="$scenario" -v k="$(bench_median "$scenario-kiln")" -v b="$(bench_median "$scenario-buildah")" \
    -v r="$(bench_ratio "$scenario-kiln" "$scenario-buildah")" -v l1="$load_before" -v l2="$load_after" \
    'BEGIN { printf "%-12s kiln %6.3f s   buildah %6.3f s   kiln/buildah %.2f   (medians; per round %.2f; load %s..%s)", s, k, b, k / b, r, l1, l2 }')
  bench_record "$scenario" "$line" kiln buildah
done

if [ "$(launcher_stamp)" != "$stamp_before" ]; then
  echo "bench: kiln rebuilt itself or its AOT cache during the timing (its sources changed): numbers not kept" >&2
  exit 1
fi

mkdir -p "$(dirname "$results")"
{
  echo "# bench/run.sh $(date -u +%Y-%m-%dT%H:%M:%SZ): $runs timed rounds after $warmup warm-up, kiln and buildah in turn"
  echo "# kiln $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- . 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "# $(buildah --version); $(/usr/sbin/runc --version | head -n 1)"
  echo "# $("$JAVA_HOME/bin/java" -version 2>&1 | head -n 1); kernel $(uname -r); $(nproc) cores"
  echo "# kiln:    $kiln_cmd"
  echo "# buildah: $buildah_cmd"
  echo "# cold runs first remove the tool's state directory; incremental runs first do: $change_context"
  echo
  printf '%s\n' "${summary[@]}"
  echo
  echo "# kiln/buildah: ratio of the medians; per round: median of kiln/buildah within each round"
  echo "# seconds: wall median, mean, min, max; cpu = median user+system (children included)"
  echo "# runs: wall/user/system of every timed run, in order"
  printf '%s\n' "${raw[@]}"
} > "$results"
echo "bench: raw numbers in ${results#"$root"/}" >&2
$buildah_global rm --all >/dev/null 2>&1 || true
bench_clean "$work"
