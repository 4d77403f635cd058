#!/usr/bin/env bash
# The polyrouter demo, end to end with no API keys and no network:
#   builds the `polyrouter` command and the provider simulator, starts the simulator on a free
#   loopback port with a bad day scripted (examples/scenarios/demo.json), and sends requests
#   through the command-line tool pointed at it:
#     - Groq:     GROQ_API_KEY0 is invalid, GROQ_API_KEY1 is rate-limited for 30 s
#     - Gemini:   gemini-2.5-flash answers 503, gemini-3-flash-preview is not offered to the key
#     - Cerebras: answers
#   It prints each answer with the attempts that led to it, shows that a second request through
#   the same router skips everything the first one learned, prints the health snapshot, probes
#   every key x model (`polyrouter check`), lists the models, and stops the simulator.
#
#   scripts/demo.sh                  builds into build/demo (POLYROUTER_DEMO_BUILD_DIR overrides)
#   POLYROUTER_DEMO_PREBUILT=<build tree> scripts/demo.sh
#                                    uses the binaries already built there (the test suite does)
#
# Real keys in your environment never reach the simulator: every command runs in an environment
# this script builds from scratch. With real keys, the same binary talks to the real providers:
#   GROQ_API_KEY0=gsk_... build/demo/tools/cli/polyrouter ask "Why is the sky blue?"
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${POLYROUTER_DEMO_BUILD_DIR:-$root/build/demo}"
jobs="$(nproc 2>/dev/null || echo 2)"
scenario="$root/examples/scenarios/demo.json"

if [[ -t 1 ]]; then
  bold=$'\033[1m' dim=$'\033[2m' reset=$'\033[0m'
else
  bold="" dim="" reset=""
fi
section() { printf '\n%s== %s%s\n' "$bold" "$*" "$reset"; }
note() { printf '%s%s%s\n' "$dim" "$*" "$reset"; }
die() {
  echo "demo: $*" >&2
  exit 1
}

# --- 1. dependencies and build -------------------------------------------------------------
section "1. Dependencies and build"
if [[ -n "${POLYROUTER_DEMO_PREBUILT:-}" ]]; then
  build="$POLYROUTER_DEMO_PREBUILT"
  note "using the binaries already built in $build"
else
  "$root/scripts/deps.sh"
  mkdir -p "$build"
  log="$build/demo-build.log"
  note "building polyrouter (the CLI) and polyrouter-sim in $build (Release; log: $log)"
  {
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
      -DPOLYROUTER_BUILD_TESTS=OFF -DPOLYROUTER_BUILD_BENCH=OFF -DPOLYROUTER_BUILD_EXAMPLES=OFF &&
      cmake --build "$build" -j"$jobs" --target polyrouter-sim polyrouter_cli
  } >"$log" 2>&1 || {
    tail -n 40 "$log" >&2
    die "the build failed (full log: $log)"
  }
fi
cli="$build/tools/cli/polyrouter"
sim="$build/tools/sim/polyrouter-sim"
[[ -x "$cli" && -x "$sim" ]] || die "build finished but $cli or $sim is missing"
note "built $cli"

# --- 2. the simulator ----------------------------------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/polyrouter-demo.XXXXXX")"
sim_pid=""
cleanup() {
  if [[ -n "$sim_pid" ]] && kill -0 "$sim_pid" 2>/dev/null; then
    kill -TERM "$sim_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do  # up to ~5 s for a clean exit
      kill -0 "$sim_pid" 2>/dev/null || break
      sleep 0.05
    done
    kill -KILL "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

section "2. The simulator: Groq, Gemini and Cerebras on one loopback port"
"$sim" --scenario "$scenario" --port 0 --port-file "$work/port" >"$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 1 200); do  # up to ~10 s
  [[ -s "$work/port" ]] && break
  kill -0 "$sim_pid" 2>/dev/null || { cat "$work/sim.log" >&2; die "the simulator exited at start"; }
  sleep 0.05
done
[[ -s "$work/port" ]] || die "the simulator wrote no port file within 10 s"
port="$(cat "$work/port")"
url="http://127.0.0.1:$port"
cat "$work/sim.log"
note "scenario $scenario:"
note "  groq      GROQ_API_KEY0 invalid (401), GROQ_API_KEY1 rate-limited for 30 s (429)"
note "  gemini    gemini-2.5-flash overloaded (503), gemini-3-flash-preview not offered (404)"
note "  cerebras  answers"

# The router's configuration: models per provider, one quick retry, and a breaker that opens
# on the first request a model fails, so an overloaded model is skipped for a minute.
cat >"$work/polyrouter.json" <<'JSON'
{
  "providers": {
    "groq": {"models": ["openai/gpt-oss-120b"]},
    "gemini": {"models": ["gemini-2.5-flash", "gemini-3-flash-preview"]},
    "cerebras": {"models": ["gpt-oss-120b"]}
  },
  "retry": {"max_retries": 1, "initial_backoff_ms": 100, "max_backoff_ms": 200},
  "breaker": {"minimum_requests": 1, "open_ms": 60000}
}
JSON

# Runs the CLI as a user would, but in an environment built from scratch: simulator keys and
# base URLs only (no real key can leak in), in an empty directory (no stray .env), stderr
# merged into stdout in order.
polyrouter() {
  local shown="" arg
  for arg in "$@"; do  # quote what needs it, so the line can be pasted into a shell
    if [[ "$arg" =~ ^[A-Za-z0-9_./,:=+-]+$ ]]; then shown+=" $arg"; else shown+=" \"$arg\""; fi
  done
  printf '%s$ polyrouter%s%s\n' "$bold" "$shown" "$reset"
  (
    cd "$work"
    env -i PATH="$PATH" HOME="$work" LANG=C.UTF-8 \
      POLYROUTER_CONFIG="$work/polyrouter.json" \
      GROQ_API_KEY0=sim-groq-0 GROQ_API_KEY1=sim-groq-1 \
      GEMINI_API_KEY0=sim-gemini-0 \
      CEREBRAS_API_KEY0=sim-cerebras-0 \
      GROQ_BASE_URL="$url" GEMINI_BASE_URL="$url" CEREBRAS_BASE_URL="$url" \
      "$cli" "$@" 2>&1
  )
}

# --- 3. requests -------------------------------------------------------------------------------
section "3. Two requests through one router"
note "The first request walks groq -> gemini -> cerebras and learns why each route failed;"
note "the second, through the same router, skips all of it and goes straight to Cerebras."
polyrouter ask --repeat 2 --attempts "Why is the sky blue?"
note "Request 2 made one round trip: the dead key is quarantined, the limited key is cooling down,"
note "gemini-2.5-flash's circuit breaker is open and gemini-3-flash-preview is known to be missing."

section "4. The answer as JSON (one provider only)"
polyrouter ask --json --provider cerebras "Why is the sky blue?"

section "5. Credential smoke test: every key x model, one cheap call each"
note "A new process, so nothing is remembered: check probes every combination, skipping none."
polyrouter check

section "6. The models each provider offers"
note "Groq's keys are dead or rate-limited in this scenario, so its list fails; the others answer."
polyrouter models

# --- 4. what the simulator saw ------------------------------------------------------------------
section "7. What the simulator saw (round trips per provider, key and model)"
http_get() {  # http_get PATH: the body, with curl when present, else bash's /dev/tcp
  if command -v curl >/dev/null 2>&1; then
    curl -s --max-time 5 "$url$1"
  else
    # shellcheck disable=SC2016  # expanded by the inner bash
    timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" "$2" >&3 &&
      sed "1,/^\r\{0,1\}$/d" <&3' _ "$port" "$1"
  fi
}
stats="$(http_get /_sim/stats || true)"
if [[ -z "$stats" ]]; then
  note "(the stats endpoint did not answer)"
else
  printf '%-10s %-24s %-19s %s\n' provider model key hits
  # One {"count":N,"key":"...","model":"...","provider":"..."} object per line; keys shown by label.
  grep -o '{[^{}]*}' <<<"$stats" | while read -r hit; do
    field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" <<<"$hit"; }
    key="$(field key)"
    case "$key" in
      sim-groq-0) key=GROQ_API_KEY0 ;;
      sim-groq-1) key=GROQ_API_KEY1 ;;
      sim-gemini-0) key=GEMINI_API_KEY0 ;;
      sim-cerebras-0) key=CEREBRAS_API_KEY0 ;;
      *) key="(other)" ;;
    esac
    model="$(field model)"
    printf '%-10s %-24s %-19s %s\n' "$(field provider)" "${model:-(model list)}" "$key" "$(field count)"
  done
  note "total: $(sed -n 's/.*"total":\([0-9]*\).*/\1/p' <<<"$stats") round trips"
fi

section "Done"
echo "The simulator is stopping. With real keys, the same command talks to the real providers:"
echo "  export GROQ_API_KEY0=... GEMINI_API_KEY0=... CEREBRAS_API_KEY0=...   # or put them in .env"
echo "  $cli ask \"Why is the sky blue?\""
echo "  $cli check"
