#!/usr/bin/env bash
# Flame graphs of issue 13's W3 (one file changed in a 20,000-file context, COPY . /ctx, RUN find, OCI tar) as
# `kiln daemon` runs it: for each kiln checkout given, a fresh daemon builds W3 once, then JFR records it
# (settings=profile, Java samples every millisecond) through BENCH_RUNS rebuilds, each after one file changed, and bench/flamegraph.py draws the
# samples. Use it to compare commits: a checkout of the code before a change and one after.
#   bench/w3-flame.sh NAME=KILN_CHECKOUT...   (as root)
#   BENCH_RUNS=5 (rebuilds recorded), BENCH_OUT=DIR (default bench/results), BENCH_WORK=/var/tmp/kiln-w3-flame
# Writes DIR/DATE-w3-flame-NAME.svg per checkout. Checkouts must be built (run their ./kiln once first).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${BENCH_RUNS:-5}
out=${BENCH_OUT:-$root/bench/results}
work=${BENCH_WORK:-/var/tmp/kiln-w3-flame}
[ "$#" -gt 0 ] || { echo "usage: bench/w3-flame.sh NAME=KILN_CHECKOUT..." >&2; exit 2; }

source "$root/bench/lib.sh"
bench_prepare "$root" docker-registry python3
bench_daemon_work "$root" "$work" "$work/state"
bench_base_registry "$work" "$root"
bench_w3_context "$work/W3" 20000
jcmd=$JAVA_HOME/bin/jcmd

for given in "$@"; do
  name=${given%%=*} checkout=${given#*=}
  state=$work/state-$name
  bench_kiln_daemon "$checkout" "$state" "$work/daemon-$name.log"
  bench_await_sockets "$state/kiln.sock"
  daemon_pid=$kiln_pid
  build() {
    date +%s%N > "$work/W3/pkg00/mod00/file00000.src"
    "$checkout/kiln" build --state "$state" --progress quiet --output "type=oci,dest=$work/out-$name.tar" "$work/W3" \
      > "$work/build-$name.log" 2>&1 || { tail -n 20 "$work/build-$name.log" >&2; exit 1; }
  }
  build
  "$jcmd" "$daemon_pid" JFR.start name=w3 settings=profile 'jdk.ExecutionSample#period=1ms' filename="$work/$name.jfr" > /dev/null
  for _ in $(seq "$runs"); do build; done
  "$jcmd" "$daemon_pid" JFR.stop name=w3 > /dev/null
  "$checkout/kiln" daemon stop --state "$state" > /dev/null 2>&1 || true
  svg=$out/$(date +%Y-%m-%d)-w3-flame-$name.svg
  python3 "$root/bench/flamegraph.py" "$work/$name.jfr" "$svg" \
    "W3 rebuilds x$runs in kiln daemon: $name ($(git -C "$checkout" rev-parse --short HEAD))"
  echo "bench: $svg" >&2
done
