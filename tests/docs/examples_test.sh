#!/usr/bin/env bash
# The example outputs in docs/commands/ are what vzlvs prints now: scripts/demo runs on the
# stand-in with this build and saves each command's output (DEMO_TRANSCRIPT), and every
# marked block (<!-- demo: LABEL -->) must equal it. After a change that alters an output:
#   DEMO_NO_BUILD=1 DEMO_TRANSCRIPT=/tmp/t scripts/demo && tests/docs/examples.py --update /tmp/t docs/commands/*.md
# Usage: examples_test.sh BUILD_DIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
transcript=$(mktemp -d)
trap 'rm -rf "$transcript"' EXIT
if ! BUILD_DIR=$1 DEMO_NO_BUILD=1 DEMO_TRANSCRIPT=$transcript "$src/scripts/demo" >"$transcript/demo.log" 2>&1; then
    echo "not ok 1 - scripts/demo ran"
    sed 's/^/#   /' "$transcript/demo.log" | tail -40
    echo "0 passed, 1 failed"
    exit 1
fi
python3 "$here/examples.py" "$transcript" "$src"/docs/commands/*.md
