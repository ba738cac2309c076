#!/usr/bin/env bash
# Issue 13's suite, W1 to W6: Kiln (`kiln build`, a client of `kiln daemon`) beside BuildKit v0.24.0
# (`buildctl build` on buildkitd: OCI worker, overlayfs, runc) and Buildah (Debian's `buildah bud --layers
# --runtime /usr/sbin/runc` on overlay, then `buildah push` to an OCI archive). Every tool builds the same
# Dockerfile FROM the same busybox image in a registry on 127.0.0.1 to an OCI tar, timed from the user's
# command line, one run of each tool in turn per round (bench/lib.sh), so a change of load spreads over all.
#   W1  every step runs (--no-cache): issue 11's workload, 2 stages, 6 RUN, 3 COPY
#   W2  the same, fully cached
#   W3  one file changed in a 20,000-file context: COPY . /ctx, RUN find /ctx -type f | wc -l
#   W4  8 builds of 8 different contexts at once, each context changed first; the time is until the last ends
#   W5  50 trivial RUN steps, every step runs; beside it `runc run` alone, 50 times on the same busybox rootfs
#   W6  memory: the daemons' peak resident size (VmHWM) after W1 to W3, and kiln daemon's resident size
#       across 100 cached builds in a row and across BENCH_W6_CHANGED (20) W3 builds in a row (flat means no leak)
# Prints each workload's medians and the ratios kiln/buildkit and kiln/buildah (the median of per-round ratios).
#
# Needs buildctl and buildkitd (bench/README.md says how to build them) and buildah; never a CI requirement.
# Usage (as root): bench/suite.sh; BENCH_RUNS=5 BENCH_WARMUP=1 BENCH_WORKLOADS="W1 W2 W3 W4 W5 W6"
#   BENCH_WORK=/var/tmp/kiln-suite-bench  scratch directory (removed at the end)
#   BENCH_RESULTS=FILE                    raw numbers (default bench/results/DATE-suite.txt)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${BENCH_RUNS:-5}
warmup=${BENCH_WARMUP:-1}
workloads=${BENCH_WORKLOADS:-W1 W2 W3 W4 W5 W6}
work=${BENCH_WORK:-/var/tmp/kiln-suite-bench}
results=${BENCH_RESULTS:-$root/bench/results/$(date +%Y-%m-%d)-suite.txt}

source "$root/bench/lib.sh"
bench_prepare "$root" buildctl buildkitd buildah runc docker-registry python3

bench_daemon_work "$root" "$work" "$work/kiln-state"
mkdir -p "$work/cmd" "$work/logs"

# A registry on 127.0.0.1 holding the busybox base image: sets port and base, appends to pids.
bench_base_registry "$work" "$root"

# ---- the daemons ----
bench_buildkitd "$work"
bench_kiln_daemon "$root" "$work/kiln-state" "$work/logs/kiln-daemon.log"
bench_await_sockets "$work/bk.sock" "$work/kiln-state/kiln.sock"

# ---- one command file per tool and build: bench/lib.sh splits commands on spaces, buildah needs two ----
buildah_storage="--root $work/buildah/root --runroot $work/buildah/run --storage-driver overlay"
# build_command NAME TOOL CONTEXT [--no-cache]: writes $work/cmd/NAME-TOOL.sh and prints how to run it
build_command() {
  local name=$1 tool=$2 ctx=$3 flags=${4:-} out=$work/out/$1-$2.tar file=$work/cmd/$1-$2.sh
  mkdir -p "$work/out"
  case $tool in
    kiln) echo "exec $root/kiln build --state $work/kiln-state --progress plain $flags \
--output type=oci,dest=$out $ctx" ;;
    buildkit) echo "exec buildctl --addr unix://$work/bk.sock build --progress plain --frontend dockerfile.v0 \
--local context=$ctx --local dockerfile=$ctx $flags --output type=oci,dest=$out" ;;
    buildah) echo "set -e
buildah $buildah_storage bud --layers --runtime /usr/sbin/runc --tls-verify=false $flags -t bench/${name,,}:latest $ctx
buildah $buildah_storage push bench/${name,,}:latest oci-archive:$out" ;;
  esac > "$file"
  echo "bash $file"
}
tools="kiln buildkit buildah"

summary=()
raw=()
# compare NAME: the medians of NAME-kiln, NAME-buildkit and NAME-buildah, and kiln's per-round ratios to both
compare() {
  local name=$1 line
  line=$(awk -v n="$name" -v k="$(bench_median "$name-kiln")" -v b="$(bench_median "$name-buildkit")" \
    -v h="$(bench_median "$name-buildah")" -v rb="$(bench_ratio "$name-kiln" "$name-buildkit")" \
    -v rh="$(bench_ratio "$name-kiln" "$name-buildah")" \
    'BEGIN { printf "%-3s kiln %7.3f s  buildkit %7.3f s  buildah %7.3f s   kiln/buildkit %.2f  kiln/buildah %.2f", n, k, b, h, rb, rh }')
  # shellcheck disable=SC2086
  bench_record "$name" "$line" $tools
}
# run_workload NAME CONTEXT PREPARE [FLAGS]: every tool builds CONTEXT
run_workload() {
  local name=$1 ctx=$2 prepare=$3 flags=${4:-}
  echo "bench: $name ($warmup warm-up and $runs timed rounds, $tools in turn)" >&2
  bench_reset
  for tool in $tools; do
    bench_add "$name-$tool" "$prepare" "$(build_command "$name" "$tool" "$ctx" "$flags")"
  done
  bench_round_robin "$runs" "$warmup"
  compare "$name"
}
rss_of() { # PID FIELD: VmHWM or VmRSS in MiB
  awk -v f="$2:" '$1 == f { printf "%.0f", $2 / 1024 }' "/proc/$1/status"
}

# ---- the contexts ----
# W1, W2, W4: issue 11's workload; W4 builds eight of them, W1 and W2 the first. W3: 20,000 files.
bench_workload_context "$work/W1" 0
for i in $(seq 0 7); do bench_workload_context "$work/W4/ctx$i" "w4-$i"; done
bench_w3_context "$work/W3" 20000

# W5: 50 RUN steps that do next to nothing
mkdir -p "$work/W5"
{ echo "FROM $base"; for i in $(seq 1 50); do echo "RUN echo $i > /step$i"; done; } > "$work/W5/Dockerfile"

# ---- the workloads ----
for workload in $workloads; do
  case $workload in
    W1) run_workload W1 "$work/W1" "" --no-cache ;;
    W2) run_workload W2 "$work/W1" "" ;;
    W3) run_workload W3 "$work/W3" "date +%s%N > $work/W3/pkg00/mod00/file00000.src"
        line="W3  peak resident size after W1 to W3: kiln daemon $(rss_of "$kiln_pid" VmHWM) MiB, buildkitd $(rss_of "$buildkitd_pid" VmHWM) MiB"
        summary+=("$line"); echo "$line" ;;
    W4)
      echo "bench: W4 ($warmup warm-up and $runs timed rounds, $tools in turn)" >&2
      bench_reset
      for tool in $tools; do
        script=$work/cmd/W4-$tool-all.sh
        { echo "set -e"
          for i in $(seq 0 7); do
            echo "$(build_command "W4-$i" "$tool" "$work/W4/ctx$i") > $work/logs/W4-$tool-$i.log 2>&1 &"
          done
          echo 'for job in $(jobs -p); do wait "$job"; done'; } > "$script"
        bench_add "W4-$tool" "for i in \$(seq 0 7); do date +%s%N > $work/W4/ctx\$i/src/changed.c; done" "bash $script"
      done
      bench_round_robin "$runs" "$warmup"
      compare W4 ;;
    W5)
      # runc alone: the same rootfs as an OCI bundle, a process that does nothing, 50 times; timed in the same rounds
      # as the three tools, so that a change of the machine's pace between phases does not land on one side only
      bundle=$work/runc-bundle
      "$root/scripts/busybox-rootfs.sh" "$bundle/rootfs" >/dev/null
      (cd "$bundle" && runc spec && python3 - config.json <<'END'
import json, sys
spec = json.load(open(sys.argv[1]))
spec["process"]["terminal"] = False
spec["process"]["args"] = ["sh", "-c", "echo 1 > /dev/null"]
spec["root"]["readonly"] = False
json.dump(spec, open(sys.argv[1], "w"))
END
)
      cat > "$work/cmd/runc-50.sh" <<END
set -e
for i in \$(seq 1 50); do runc run --bundle $bundle bench-\$\$-\$i > /dev/null; done
END
      echo "bench: W5 ($warmup warm-up and $runs timed rounds, $tools and runc alone in turn)" >&2
      bench_reset
      for tool in $tools; do
        bench_add "W5-$tool" "" "$(build_command W5 "$tool" "$work/W5" --no-cache)"
      done
      bench_add runc-50 "" "bash $work/cmd/runc-50.sh"
      bench_round_robin "$runs" "$warmup"
      compare W5
      line=$(awk -v r="$(bench_median runc-50)" -v k="$(bench_median W5-kiln)" -v b="$(bench_median W5-buildkit)" \
        -v h="$(bench_median W5-buildah)" -v d="$(bench_difference W5-kiln runc-50)" \
        'BEGIN { printf "W5  per RUN step: kiln %.1f ms  buildkit %.1f ms  buildah %.1f ms  runc run alone %.1f ms   kiln - runc %.1f ms (medians; per round %.1f)",
          k * 20, b * 20, h * 20, r * 20, (k - r) * 20, d * 20 }')
      summary+=("$line"); echo "$line"
      raw+=("runc-50: $(bench_stats runc-50)" "  runs $(bench_raw runc-50)") ;;
    W6)
      echo "bench: W6 (100 cached builds in a row through kiln daemon)" >&2
      cmd=$(build_command W6 kiln "$work/W1")
      samples=""
      for i in $(seq 1 100); do
        $cmd > "$work/logs/W6.log" 2>&1 || { tail -n 20 "$work/logs/W6.log" >&2; exit 1; }
        if [ "$i" = 1 ] || [ $((i % 20)) = 0 ]; then
          samples+=" $i:$(rss_of "$kiln_pid" VmRSS)"
        fi
      done
      line="W6  kiln daemon resident MiB after build N of 100 cached:$samples; peak $(rss_of "$kiln_pid" VmHWM) MiB (buildkitd peak $(rss_of "$buildkitd_pid" VmHWM) MiB)"
      summary+=("$line"); echo "$line"
      # builds that run: each promotes a 20,000-file tree that dies when it ends (HeapTarget.java says why this grew)
      changed=${BENCH_W6_CHANGED:-20}
      echo "bench: W6 ($changed W3 builds in a row, one file changed before each)" >&2
      cmd=$(build_command W6-W3 kiln "$work/W3")
      samples=""
      for i in $(seq 1 "$changed"); do
        date +%s%N > "$work/W3/pkg00/mod00/file00000.src"
        $cmd > "$work/logs/W6.log" 2>&1 || { tail -n 20 "$work/logs/W6.log" >&2; exit 1; }
        if [ "$i" = 1 ] || [ $((i % 5)) = 0 ]; then
          samples+=" $i:$(rss_of "$kiln_pid" VmRSS)"
        fi
      done
      line="W6  kiln daemon resident MiB after W3 build N of $changed:$samples; peak $(rss_of "$kiln_pid" VmHWM) MiB"
      summary+=("$line"); echo "$line" ;;
    *) echo "bench: unknown workload $workload" >&2; exit 1 ;;
  esac
done

headers=("# bench/suite.sh $(date -u +%Y-%m-%dT%H:%M:%SZ): $runs timed rounds after $warmup warm-up, $tools in turn"
  "$(bench_versions "$root" "$(buildctl --version)" "$(buildah --version)")")
for tool in $tools; do
  for file in "$work"/cmd/W?-"$tool".sh; do  # how the first workload run called the tool
    [ -f "$file" ] && headers+=("# $tool: $(tr '\n' ';' < "$file")")
    break
  done
done
bench_write_results "$results" "${headers[@]}"
echo "bench: raw numbers in $results" >&2
