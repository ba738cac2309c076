#!/usr/bin/env bash
# Issue 13's layer export goal: Kiln's layer export (LayerWriter, as the daemon runs it: the JIT's first tier,
# SHA-256 from libcrypto) against `tar -cf - -C DIR . | pigz -p2`, on the same trees, written to files on the same
# disk. Both run round by round in one warm JVM (bench/java/LayerExport.java) so the machine's load falls on both;
# pigz is a whole command each round, Kiln's export a call, as in the daemon. Trees:
#   cache   the cache benchmark's first stage (bench_cache_context): 1.5 M numbers, 400 files of numbers, 4 MB random
#   w3      issue 13's W3 context (bench_w3_context): 20,000 small text files and 5 of 100 KB to 1 MB
# Usage (as root): bench/layer-export.sh; BENCH_RUNS=5 BENCH_WARMUP=2 BENCH_TREES="cache w3"
#   BENCH_WORK=/var/tmp/kiln-layer-bench  scratch directory (removed at the end)
#   BENCH_RESULTS=FILE                    the output (default bench/results/DATE-layer-export.txt)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${BENCH_RUNS:-5}
warmup=${BENCH_WARMUP:-2}
trees=${BENCH_TREES:-cache w3}
work=${BENCH_WORK:-/var/tmp/kiln-layer-bench}
results=${BENCH_RESULTS:-$root/bench/results/$(date +%Y-%m-%d)-layer-export.txt}

source "$root/bench/lib.sh"
bench_prepare "$root" pigz python3
rm -rf "$work"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/classes"
classpath=$(cat "$root/kiln-cli/target/kiln.classpath")
"$JAVA_HOME/bin/javac" -d "$work/classes" -cp "$classpath" "$root/bench/java/LayerExport.java"

for tree in $trees; do
  case $tree in
    cache)
      mkdir -p "$work/cache/deps"
      seq 1 1500000 > "$work/cache/deps/numbers.txt"
      for i in $(seq 1 400); do seq "$i" 3 30000 > "$work/cache/deps/part$i.txt"; done
      head -c 4000000 /dev/urandom > "$work/cache/deps/blob.bin" ;;
    w3) base=unused bench_w3_context "$work/w3" 20000 ;;
    *) echo "bench: unknown tree $tree" >&2; exit 1 ;;
  esac
done

{
  echo "# bench/layer-export.sh $(date -u +%Y-%m-%dT%H:%M:%SZ): $runs rounds after $warmup warm-up, kiln and pigz in turn"
  echo "# kiln $(git -C "$root" rev-parse --short HEAD); $(pigz --version 2>&1); $("$JAVA_HOME/bin/java" -version 2>&1 | head -1); $(nproc) cores"
  for tree in $trees; do
    echo "## $tree: $(du -sh --apparent-size "$work/$tree" | cut -f1), $(find "$work/$tree" -type f | wc -l) files"
    "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
      -cp "$work/classes:$classpath" LayerExport "$work/$tree" "$work/scratch" "$runs" "$warmup"
  done
} | tee "$results"
