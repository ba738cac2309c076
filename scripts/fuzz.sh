#!/usr/bin/env bash
# Fuzzes every Jazzer fuzz target (the @FuzzTest of each *FuzzTest class) for SECONDS_PER_TARGET seconds (default
# 600), one JVM per target, and prints per target the inputs run, inputs per second and crashes.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]
#
# A crashing input is written to the target's inputs directory in the source tree
# (src/test/resources/<package>/<Class>Inputs/<method>/crash-*), where every build replays it: keep it there with
# the fix. Up to 20 distinct crashes (by stack trace) are collected per target before it stops; the script exits
# non-zero when there was any. The corpus each target grows is kept in <module>/.cifuzz-corpus/ (ignored by git)
# and picked up by the next run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/env.sh"
cd "$here/.."

seconds=${1:-600}
case "$seconds" in
  ''|*[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET]" >&2; exit 2 ;;
esac
modules=kiln-llb,kiln-oci,kiln-worker,kiln-dockerfile
log=$(mktemp --tmpdir kiln-fuzz.XXXXXX.log)

# -Dtest turns off the short fuzzing of a normal build (the fuzz-short profile) and runs only the fuzz tests;
# JAZZER_FUZZ=1 makes them fuzz; reuseForks=false gives each its own JVM, as Jazzer fuzzes one test per JVM.
set +e
JAZZER_FUZZ=1 ./mvnw -B -ntp verify -pl "$modules" -am \
  -Dtest='*FuzzTest' -Dsurefire.failIfNoSpecifiedTests=false -DreuseForks=false \
  -Dmaven.test.failure.ignore=true -Djazzer.hooks=true -Djazzer.max_duration="${seconds}s" \
  -Djazzer.keep_going=20 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# libFuzzer's lines, per target: "#N ... exec/s: R ..." as it goes, "Done N runs in S second(s)" at a normal end,
# "Test unit written to FILE" for each crash.
echo
echo "Fuzzing, ${seconds} s per target (log: $log)"
awk '
  function report() {
    if (target == "") return
    rate = (secs > 0) ? int(runs / secs) : last_rate
    printf "%-55s %12d inputs %9d inputs/s %4d crashes%s\n", target, runs, rate, crashes, (done ? "" : " (stopped early)")
  }
  /\[INFO\] Running .*FuzzTest$/ { report(); target = $NF; runs = 0; secs = 0; crashes = 0; done = 0; last_rate = 0; next }
  target != "" && /^#[0-9]+/ {
    n = substr($1, 2) + 0; if (n > runs) runs = n
    for (i = 1; i <= NF; i++) if ($i == "exec/s:") last_rate = $(i + 1) + 0
  }
  target != "" && /^Done [0-9]+ runs in [0-9]+ second/ { runs = $2 + 0; secs = $5 + 0; done = 1 }
  target != "" && /Test unit written to/ { crashes++ }
  END { report() }
' "$log"
# With keep_going a target reports its crashes in the log rather than failing its test: count them here.
if grep -q 'Test unit written to' "$log" && [ "$status" = 0 ]; then
  status=1
fi
crash_files=$(git status --porcelain --untracked-files=all -- '*/src/test/resources/*Inputs/*' | grep -E 'crash-' || true)
if [ -n "$crash_files" ]; then
  echo
  echo "New crashing inputs (keep each with its fix):"
  echo "$crash_files"
fi
exit "$status"
