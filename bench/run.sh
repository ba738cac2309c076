#!/usr/bin/env bash
# Times whole commands side by side: Kiln and Buildah build the same small image the same way and
# hyperfine times each from the user's command line, for three scenarios:
#   cold         empty state and cache before every run
#   cached       nothing changed since the last build: every step is a cache hit
#   incremental  one context file changed: the COPY of the context and the RUN after it run again
#
# The workload is DESIGN.md's (a busybox base, two RUN steps, one COPY from the context). There is
# no registry yet, so the base is a busybox rootfs from scripts/busybox-rootfs.sh: Buildah copies it
# in with `FROM scratch` + `COPY rootfs/ /`, Kiln reads it as the local source "rootfs". Kiln runs
# the graph of dev.kiln.examples.BenchBuild (kiln-examples), which has the steps of the
# Containerfile that bench/workload.sh writes; Buildah builds that Containerfile.
#
# Equivalent work, as far as the two tools allow:
#  - both run each RUN step in a runc container (/usr/sbin/runc) in its own network namespace with
#    loopback only (Buildah --network=none --isolation=oci, Kiln NetMode.NONE) on overlayfs;
#  - both keep a build cache: Buildah with --layers (off by default for `buildah build`), Kiln always;
#  - both write the result somewhere: Buildah commits an image (one layer per step) into its local
#    containers-storage and tags it; Kiln has no image store yet and exports the final root
#    filesystem as a tar file (--output type=tar). On a fully cached build Buildah only re-tags an
#    image it already has, while Kiln writes the ~2 MB tar again: that difference favours Buildah.
#  - both print their usual progress (to hyperfine's /dev/null).
#
# Usage: bench/run.sh                 (as root; installs buildah, hyperfine, jq with apt-get if missing)
#   BENCH_RUNS=10 BENCH_WARMUP=2      timed runs and warm-up runs per tool and scenario
#   BENCH_SCENARIOS="cold cached incremental"
#   BENCH_WORK=/var/tmp/kiln-bench    scratch directory (not on overlayfs; removed at the end)
#   BENCH_RESULTS=FILE                where the raw numbers go (default bench/results/DATE-TIME.txt)
#   BENCH_KILN_OUTPUT=tar             or local: Kiln exports a directory instead of a tar file
# No network is used: nothing is pulled, and RUN steps have loopback only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${BENCH_RUNS:-10}
warmup=${BENCH_WARMUP:-2}
scenarios=${BENCH_SCENARIOS:-cold cached incremental}
work=${BENCH_WORK:-/var/tmp/kiln-bench}
results=${BENCH_RESULTS:-$root/bench/results/$(date +%Y-%m-%d-%H%M).txt}
kiln_output=${BENCH_KILN_OUTPUT:-tar}
case "$root$work" in *[[:space:]]*) echo "bench: paths with spaces are not supported: $root, $work" >&2; exit 1 ;; esac

[ "$(id -u)" = 0 ] || { echo "bench: run as root (both tools mount overlayfs and start runc containers)" >&2; exit 1; }
"$root/scripts/setup.sh"
source "$root/scripts/env.sh"
missing=()
for pair in buildah:buildah hyperfine:hyperfine jq:jq; do
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

rm -rf "$work"
mkdir -p "$work/json"
"$root/bench/workload.sh" "$work/ctx"

kiln_state=$work/kiln-state
buildah_store=$work/buildah
kiln_cmd="$root/kiln build --state $kiln_state --frontend java:dev.kiln.examples.BenchBuild \
--frontend-classpath $examples_jar --local rootfs=$work/ctx/rootfs --local context=$work/ctx/src \
--output type=$kiln_output,dest=$work/kiln-out.$kiln_output"
buildah_global="buildah --root $buildah_store/root --runroot $buildah_store/run --storage-driver overlay"
buildah_cmd="$buildah_global build --runtime /usr/sbin/runc --isolation oci --network none --layers \
-f $work/ctx/Containerfile -t kiln-bench $work/ctx"
change_context="sh -c 'date +%s%N > $work/ctx/src/changed.txt'"

# Both tools must produce the same /app/report.txt, or they did not do the same work.
check_same_result() {
  $kiln_cmd >"$work/check.log" 2>&1 || { cat "$work/check.log" >&2; echo "bench: kiln failed" >&2; exit 1; }
  $buildah_cmd >"$work/check.log" 2>&1 || { cat "$work/check.log" >&2; echo "bench: buildah failed" >&2; exit 1; }
  local kiln_report buildah_report container
  if [ "$kiln_output" = tar ]; then
    kiln_report=$(tar -xOf "$work/kiln-out.tar" app/report.txt 2>/dev/null || tar -xOf "$work/kiln-out.tar" ./app/report.txt)
  else
    kiln_report=$(cat "$work/kiln-out.local/app/report.txt")
  fi
  container=$($buildah_global from kiln-bench)
  buildah_report=$(cat "$($buildah_global mount "$container")/app/report.txt")
  $buildah_global umount "$container" >/dev/null
  $buildah_global rm "$container" >/dev/null
  if [ "$kiln_report" != "$buildah_report" ]; then
    printf 'bench: the tools built different results:\nkiln:\n%s\nbuildah:\n%s\n' "$kiln_report" "$buildah_report" >&2
    exit 1
  fi
}

# time TOOL SCENARIO: hyperfine's JSON for one tool in one scenario
time_one() {
  local tool=$1 scenario=$2 cmd state prepare
  case $tool in
    kiln) cmd=$kiln_cmd state=$kiln_state ;;
    buildah) cmd=$buildah_cmd state=$buildah_store ;;
  esac
  case $scenario in
    cold) prepare="rm -rf $state" ;;
    cached) prepare="" ;;
    incremental) prepare=$change_context ;;
  esac
  if [ "$scenario" != cold ]; then
    $cmd >/dev/null 2>&1   # fills the cache the timed runs start from
  fi
  hyperfine -N --style basic --warmup "$warmup" --runs "$runs" ${prepare:+--prepare "$prepare"} \
    --export-json "$work/json/$scenario-$tool.json" "$cmd" >&2
}

median() { jq -r '.results[0].median' "$work/json/$1-$2.json"; }

# ./kiln rebuilds itself when a source file changes, which would land inside a timed run: in a
# tree that others edit, bench a clone (git clone . /var/tmp/kiln-clone && /var/tmp/kiln-clone/bench/run.sh).
launcher_stamp() { stat -c %Y.%s "$root/kiln-cli/target/kiln.built" "$root/kiln-cli/target/kiln.aot" 2>/dev/null || true; }

check_same_result
stamp_before=$(launcher_stamp)
{
  echo "# bench/run.sh $(date -u +%Y-%m-%dT%H:%M:%SZ): runs=$runs warmup=$warmup"
  echo "# kiln $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- . 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "# $(buildah --version); $(/usr/sbin/runc --version | head -n 1); $(hyperfine --version)"
  echo "# $("$JAVA_HOME/bin/java" -version 2>&1 | head -n 1 || true); kernel $(uname -r); $(nproc) cores"
  echo "# kiln:    $kiln_cmd"
  echo "# buildah: $buildah_cmd"
  echo "# incremental runs prepare with: $change_context"
} > "$work/header.txt" 2>/dev/null || true
summary=()
for scenario in $scenarios; do
  load_before=$(cut -d' ' -f1 /proc/loadavg)
  for tool in kiln buildah; do
    echo "bench: $scenario: $tool" >&2
    time_one "$tool" "$scenario"
  done
  load_after=$(cut -d' ' -f1 /proc/loadavg)
  k=$(median "$scenario" kiln)
  b=$(median "$scenario" buildah)
  line=$(awk -v s="$scenario" -v k="$k" -v b="$b" -v l1="$load_before" -v l2="$load_after" \
    'BEGIN { printf "%-12s kiln %6.3f s   buildah %6.3f s   kiln/buildah %.2f   (medians; load %s..%s)", s, k, b, k / b, l1, l2 }')
  summary+=("$line")
  echo "$line"
done

if [ "$(launcher_stamp)" != "$stamp_before" ]; then
  echo "bench: kiln rebuilt itself or its AOT cache during the timing (its sources changed): numbers not kept" >&2
  exit 1
fi

mkdir -p "$(dirname "$results")"
{
  cat "$work/header.txt"
  echo
  printf '%s\n' "${summary[@]}"
  echo
  echo "# raw: seconds per timed run (hyperfine), median mean stddev min max, then every run"
  for scenario in $scenarios; do
    for tool in kiln buildah; do
      jq -r --arg s "$scenario" --arg t "$tool" '.results[0] |
        "\($s) \($t) median \(.median) mean \(.mean) stddev \(.stddev) min \(.min) max \(.max)\n  runs \(.times | map(tostring) | join(" "))"' \
        "$work/json/$scenario-$tool.json"
    done
  done
} > "$results"
echo "bench: raw numbers in ${results#"$root"/}" >&2
rm -rf "$work"
