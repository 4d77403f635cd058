#!/usr/bin/env bash
# Runs a command against a fresh polyrouter-sim: with_simulator.sh SIM SCENARIO EXPECTED_TEXT CMD...
# The command's arguments may contain @URL@, replaced by the simulator's root URL. Passes when the
# command exits 0 and its output contains EXPECTED_TEXT.
set -euo pipefail
sim=$1 scenario=$2 expected=$3
shift 3
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
"$sim" --scenario "$scenario" --port 0 --port-file "$dir/port" >/dev/null &
pid=$!
for _ in $(seq 1 200); do [ -s "$dir/port" ] && break; sleep 0.05; done
[ -s "$dir/port" ] || { echo "simulator did not start" >&2; exit 1; }
url="http://127.0.0.1:$(cat "$dir/port")"
args=()
for a in "$@"; do args+=("${a//@URL@/$url}"); done
out=$("${args[@]}")
echo "$out"
grep -qF -- "$expected" <<<"$out" || { echo "expected output to contain: $expected" >&2; exit 1; }
