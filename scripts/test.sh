#!/usr/bin/env bash
# The whole test suite: installs what it needs, then builds and tests every module.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/setup.sh" --tests
source "$here/env.sh"
cd "$here/.."
exec ./mvnw -B -ntp verify "$@"
