#!/usr/bin/env bash
# Runs the polyrouter-sim executable as a process: port file, banner, stats endpoint, a scripted
# answer, clean exit 0 on SIGTERM and SIGINT, and exit 2 on bad scenarios.
# Every wait is a bounded poll, so a broken simulator fails the test instead of hanging it.
#
# usage: sim_process_test.sh <path to polyrouter-sim> <examples/scenarios dir>
set -euo pipefail

sim="$1"
scenarios="$2"
work="$(mktemp -d)"
pid=""
port=""

cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/out "$work"/err; do [[ -f "$f" ]] && { echo "--- $f" >&2; cat "$f" >&2; }; done
  exit 1
}

# request METHOD PATH [HEADER-LINE] [BODY]: raw HTTP/1.0 over bash's /dev/tcp (no curl needed);
# prints the whole response. HTTP/1.0 makes the server close the connection after answering.
request() {
  timeout 10 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n%sContent-Length: %d\r\n\r\n%s" \
      "$2" "$3" "$4" "${#5}" "$5" >&3
    cat <&3' _ "$port" "$1" "$2" "${3:+$3$'\r\n'}" "${4:-}"
}

start() {  # start [extra args...]: launches the simulator and waits for its port file
  rm -f "$work/port"
  "$sim" --port 0 --port-file "$work/port" "$@" >"$work/out" 2>"$work/err" &
  pid=$!
  for _ in $(seq 1 200); do  # up to ~10 s
    [[ -s "$work/port" ]] && break
    kill -0 "$pid" 2>/dev/null || fail "simulator exited before writing its port file"
    sleep 0.05
  done
  [[ -s "$work/port" ]] || fail "no port file after 10 s"
  port="$(cat "$work/port")"
  [[ "$port" =~ ^[0-9]+$ ]] || fail "port file holds '$port'"
}

stop_with() {  # stop_with SIGNAL: sends it and expects exit code 0 within ~15 s
  kill "-$1" "$pid"
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$pid" 2>/dev/null && fail "still running 15 s after SIG$1"
  local rc=0
  wait "$pid" || rc=$?
  pid=""
  [[ "$rc" -eq 0 ]] || fail "exit code $rc after SIG$1 (expected 0)"
}

expect_exit_2() {  # expect_exit_2 DESCRIPTION ARGS...: a bad start must exit 2 with a message
  local what="$1"
  shift
  local rc=0
  timeout 10 "$sim" --port 0 "$@" >"$work/out" 2>"$work/err" || rc=$?
  [[ "$rc" -eq 2 ]] || fail "$what: exit code $rc (expected 2)"
  [[ -s "$work/err" ]] || fail "$what: nothing on stderr"
}

# 1. Start with the demo scenario; exactly one banner line naming the port.
start --scenario "$scenarios/demo.json"
[[ "$(cat "$work/out")" == "polyrouter-sim listening on http://127.0.0.1:$port" ]] ||
  fail "banner was '$(cat "$work/out")'"

# 2. The stats endpoint answers, and a scripted answer is counted. (Responses are captured in
#    variables first: piping into `grep -q` or `head` could SIGPIPE the reader under pipefail.)
status_line() { head -n1 <<<"$1" | tr -d '\r'; }
response="$(request GET /_sim/stats)"
[[ "$(status_line "$response")" == "HTTP/1.1 200 OK" ]] || fail "stats: $response"
grep -q '"total":0' <<<"$response" || fail "fresh stats: $response"
response="$(request POST /openai/v1/chat/completions "Authorization: Bearer sim-groq-0" \
  '{"model":"openai/gpt-oss-120b","messages":[]}')"
[[ "$(status_line "$response")" == "HTTP/1.1 401 Unauthorized" ]] ||
  fail "demo key sim-groq-0 should get 401: $response"
response="$(request GET /_sim/stats)"
grep -q '"total":1' <<<"$response" || fail "stats after one request: $response"
grep -q '"key":"sim-groq-0"' <<<"$response" || fail "stats miss the key: $response"

# 3. SIGTERM exits 0.
stop_with TERM

# 4. SIGINT exits 0 too (default scenario).
start
response="$(request GET /_sim/stats)"
[[ "$(status_line "$response")" == "HTTP/1.1 200 OK" ]] || fail "stats on the default scenario: $response"
stop_with INT

# 5. Bad scenarios exit 2 with a message.
echo '{"rules":[{"behavior":"explode"}]}' >"$work/bad.json"
expect_exit_2 "unknown behavior" --scenario "$work/bad.json"
grep -q 'rules\[0\].behavior' "$work/err" || fail "message should name rules[0].behavior"
echo '{"rules":[' >"$work/broken.json"
expect_exit_2 "invalid JSON" --scenario "$work/broken.json"
grep -q 'broken.json' "$work/err" || fail "message should name the file"
expect_exit_2 "missing file" --scenario "$work/does-not-exist.json"

echo "sim_process_test: ok"
