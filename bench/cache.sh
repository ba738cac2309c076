#!/usr/bin/env bash
# Cache export and import, issue 12's speed goals, on a two-stage workload with 30 MB of layers
# (bench_cache_context in lib.sh). Scenarios:
#   export    every step runs (--no-cache) with an OCI tar output, without and with a cache export to a local
#             directory (mode=max), for kiln daemon and buildkitd; the export's cost is the difference
#   bare      the same without an output: the cache export is then the first to compress the layers
#   overlap   an image output (OCI tar, every step runs) whose 30 MB layer comes before a single-threaded step
#             (bench_overlap_context): Kiln compresses that layer while the step runs, BuildKit after the build
#   import    a fresh kiln state (its daemon started untimed) builds the workload with every step from a cache:
#             --cache-from type=registry and type=local, against the same fresh state pulling the image the
#             workload makes (FROM it, same OCI tar output), which is what "the time to pull the layers" means
#
# Needs buildctl and buildkitd on PATH for export and bare (see bench/README.md); never a CI requirement.
# Usage (as root): bench/cache.sh; BENCH_RUNS=5 BENCH_WARMUP=1 BENCH_SCENARIOS="export import"
#   BENCH_WORK=/var/tmp/kiln-cache-bench  scratch directory (removed at the end)
#   BENCH_RESULTS=FILE                    raw numbers (default bench/results/DATE-cache.txt)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${BENCH_RUNS:-5}
warmup=${BENCH_WARMUP:-1}
scenarios=${BENCH_SCENARIOS:-export bare overlap import}
work=${BENCH_WORK:-/var/tmp/kiln-cache-bench}
results=${BENCH_RESULTS:-$root/bench/results/$(date +%Y-%m-%d)-cache.txt}

source "$root/bench/lib.sh"
bench_prepare "$root" buildctl buildkitd docker-registry

bench_daemon_work "$root" "$work" "$work/kiln-state"
trap '"$root/kiln" daemon stop --state "$work/fresh-state" >/dev/null 2>&1 || true; bench_daemon_cleanup' EXIT

bench_base_registry "$work" "$root"
bench_cache_context "$work/ctx"
bench_overlap_context "$work/overlap"
bench_buildkitd "$work"
bench_kiln_daemon "$root" "$work/kiln-state" "$work/kiln-daemon.log"
bench_await_sockets "$work/bk.sock" "$work/kiln-state/kiln.sock"

kiln_build() { # STATE [FLAGS...]
  local state=$1; shift
  echo "$root/kiln build --state $state --progress plain $*"
}
buildctl_build() {
  echo "buildctl --addr unix://$work/bk.sock build --progress plain --frontend dockerfile.v0 --local context=$work/ctx \
--local dockerfile=$work/ctx $*"
}
registry=127.0.0.1:$port

# What the import scenario reads: a registry cache, a local one and the image, all from one build on the warm state
$(kiln_build "$work/kiln-state" --output "type=image,name=$registry/cached:1,push=true" \
  --cache-to "type=registry,ref=$registry/cached:cache,mode=max" --cache-to "type=local,dest=$work/cache-src,mode=max" \
  "$work/ctx") > "$work/seed.log" 2>&1 || { cat "$work/seed.log" >&2; exit 1; }
mkdir -p "$work/pull"
echo "FROM $registry/cached:1" > "$work/pull/Dockerfile"

# the daemon of a fresh state, started before a timed import (untimed: both sides pay the same start)
fresh="$root/kiln daemon stop --state $work/fresh-state; umount -R $work/fresh-state 2>/dev/null; rm -rf $work/fresh-state; \
(setsid $root/kiln daemon --state $work/fresh-state --idle-timeout 0 </dev/null >/dev/null 2>&1 &); \
for i in \$(seq 100); do [ -S $work/fresh-state/kiln.sock ] && break; sleep 0.1; done"

summary=()
raw=()
cost() { # SCENARIO TOOL: the cache export's share of the build, from the medians without and with it
  awk -v p="$(bench_median "$1-$2-plain")" -v c="$(bench_median "$1-$2-cache")" -v s="$1" -v t="$2" \
    'BEGIN { printf "%-7s %-9s build %6.3f s   with cache export %6.3f s   export %+.3f s = %5.1f%% of the build", s, t, p, c, c - p, 100 * (c - p) / p }'
}

for scenario in $scenarios; do
  echo "bench: $scenario ($warmup warm-up and $runs timed rounds, in turn)" >&2
  bench_reset
  case $scenario in
    export|bare)
      out=""
      [ "$scenario" = export ] && out="--output type=oci,dest=$work/out.tar"
      bench_add "$scenario-kiln-plain" "" "$(kiln_build "$work/kiln-state" --no-cache $out "$work/ctx")"
      bench_add "$scenario-kiln-cache" "rm -rf $work/cache-kiln" \
        "$(kiln_build "$work/kiln-state" --no-cache $out --cache-to type=local,dest=$work/cache-kiln,mode=max "$work/ctx")"
      bench_add "$scenario-buildkit-plain" "" "$(buildctl_build --no-cache $out)"
      bench_add "$scenario-buildkit-cache" "rm -rf $work/cache-bk" \
        "$(buildctl_build --no-cache $out --export-cache type=local,dest=$work/cache-bk,mode=max)"
      bench_round_robin "$runs" "$warmup"
      for tool in kiln buildkit; do
        line=$(cost "$scenario" "$tool")
        bench_record "$scenario-$tool" "$line" plain cache
      done ;;
    overlap)
      bench_add overlap-kiln "" "$(kiln_build "$work/kiln-state" --no-cache --output type=oci,dest=$work/out.tar \
        "$work/overlap")"
      bench_add overlap-buildkit "" "buildctl --addr unix://$work/bk.sock build --progress plain --frontend \
dockerfile.v0 --local context=$work/overlap --local dockerfile=$work/overlap --no-cache --output type=oci,dest=$work/out.tar"
      bench_round_robin "$runs" "$warmup"
      line=$(awk -v k="$(bench_median overlap-kiln)" -v b="$(bench_median overlap-buildkit)" \
        -v r="$(bench_ratio overlap-kiln overlap-buildkit)" \
        'BEGIN { printf "overlap kiln %6.3f s   buildkit %6.3f s   kiln/buildkit %.2f   (medians; per round %.2f)", k, b, k / b, r }')
      bench_record overlap "$line" kiln buildkit ;;
    import)
      bench_add import-registry "$fresh" "$(kiln_build "$work/fresh-state" \
        --cache-from type=registry,ref=$registry/cached:cache --output type=oci,dest=$work/out.tar "$work/ctx")"
      bench_add import-local "$fresh" "$(kiln_build "$work/fresh-state" \
        --cache-from type=local,src=$work/cache-src --output type=oci,dest=$work/out.tar "$work/ctx")"
      bench_add import-pull "$fresh" "$(kiln_build "$work/fresh-state" --output type=oci,dest=$work/out.tar "$work/pull")"
      bench_round_robin "$runs" "$warmup"
      for from in registry local; do
        line=$(awk -v i="$(bench_median "import-$from")" -v p="$(bench_median import-pull)" \
          -v r="$(bench_ratio "import-$from" import-pull)" -v f="$from" \
          'BEGIN { printf "import  %-9s %6.3f s   pulling the image %6.3f s   import/pull %.2f   (medians; per round %.2f)", f, i, p, i / p, r }')
        bench_record "import-$from" "$line"
        raw+=("import-$from: $(bench_stats "import-$from")" "  runs $(bench_raw "import-$from")")
      done
      raw+=("import-pull: $(bench_stats import-pull)" "  runs $(bench_raw import-pull)") ;;
    *) echo "bench: unknown scenario $scenario" >&2; exit 1 ;;
  esac
done

bench_write_comparison "$results" cache.sh "in turn" "$(kiln_build STATE FLAGS CTX)" "$(buildctl_build FLAGS)"
