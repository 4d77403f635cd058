#!/usr/bin/env bash
# Runs scripts/demo.sh as a user would and checks what it promises: exit 0, the answer from
# Cerebras, a second request that skips what the first learned, the health snapshot, and no key.
#
# usage: demo_test.sh <repository root> [<build tree with the CLI and simulator built>]
set -euo pipefail

root="$1"
if [[ -n "${2:-}" ]]; then
  export POLYROUTER_DEMO_PREBUILT="$2"
fi
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

fail() {
  echo "FAIL: $*" >&2
  echo "--- demo output" >&2
  cat "$out" >&2
  exit 1
}

rc=0
# Bounded even if CTest's own timeout is raised; stdin closed so nothing can wait on it.
timeout 110 bash "$root/scripts/demo.sh" </dev/null >"$out" 2>&1 || rc=$?
[[ "$rc" -eq 0 ]] || fail "scripts/demo.sh exited $rc"

expect() {  # expect PATTERN WHY: a fixed string that must appear in the output
  grep -qF -- "$1" "$out" || fail "missing $2: '$1'"
}
expect "polyrouter-sim listening on http://127.0.0.1:" "the simulator's banner"
expect "Cerebras says hi." "the answer from Cerebras"
expect "answered by cerebras gpt-oss-120b with CEREBRAS_API_KEY0 after 6 attempts" "the first walk"
expect "answered by cerebras gpt-oss-120b with CEREBRAS_API_KEY0 after 1 attempt " "the second request, skipping"
expect "invalid_key" "the invalid Groq key"
expect "rate_limited" "the rate-limited Groq key"
expect "GROQ_API_KEY0: quarantined" "the health snapshot"
expect "gemini-2.5-flash: breaker_open" "the health snapshot's breaker"
expect "gemini-3-flash-preview: missing" "the health snapshot's missing model"
expect "combinations ok" "the check table"
expect "cerebras: gpt-oss-120b" "the model list"
# The simulator's keys are shown by label only, like real ones.
if grep -qE 'sim-(groq|gemini|cerebras)-[0-9]' "$out"; then fail "a key value appears in the output"; fi
echo "demo_test: ok"
