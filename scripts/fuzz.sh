#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz) with clang, ASan and UBSan, and runs each one;
# exits non-zero on any finding (crash, sanitizer report, leak, timeout, broken invariant).
#
#   scripts/fuzz.sh [seconds] [target...]   each target for `seconds` (default 20), 2 at a time
#
# Every run starts from the seed corpus in tests/fuzz/corpus/<target> (read-only) and grows a
# scratch corpus in $out/corpus/<target> (out: POLYROUTER_FUZZ_OUT, default build/fuzz). A
# finding's input is written to $out/findings/<target>/, the run's log to $out/logs/<target>.log;
# rerun an input with build/fuzz/tests/fuzz/fuzz_<target> <file>. POLYROUTER_FUZZ_JOBS sets how
# many targets run at once (2).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${1:-20}
shift || true
dir="$root/build/fuzz"
out=${POLYROUTER_FUZZ_OUT:-$dir}
parallel=${POLYROUTER_FUZZ_JOBS:-2}

"$root/scripts/deps.sh"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(openai_answer gemini_answer anthropic_answer error_classification sse retry_hints dotenv config redis)
fi

echo "== fuzz: configure and build (clang, address+undefined)" >&2
cmake -S "$root" -B "$dir" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DCMAKE_UNITY_BUILD=ON -DPOLYROUTER_WERROR=ON \
  -DPOLYROUTER_SANITIZE=address,undefined -DPOLYROUTER_BUILD_FUZZ=ON -DPOLYROUTER_BUILD_TESTS=OFF \
  -DPOLYROUTER_BUILD_TOOLS=OFF -DPOLYROUTER_BUILD_EXAMPLES=OFF -DPOLYROUTER_BUILD_BENCH=OFF \
  -DPOLYROUTER_INSTALL=OFF >/dev/null
cmake --build "$dir" -j"$(nproc 2>/dev/null || echo 2)" --target "${targets[@]/#/fuzz_}"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

run_one() {  # target: runs it, prints its summary line, returns its status
  local name=$1
  local corpus="$out/corpus/$name" findings="$out/findings/$name" log="$out/logs/$name.log"
  mkdir -p "$corpus" "$findings" "$(dirname "$log")"
  local status=0 dict=()
  case $name in retry_hints|dotenv) ;; *) dict=(-dict="$root/tests/fuzz/json.dict") ;; esac
  # -max_len covers the largest seed; -timeout flags a single input taking more than 10 s (a hang).
  "$dir/tests/fuzz/fuzz_$name" "$corpus" "$root/tests/fuzz/corpus/$name" -max_total_time="$seconds" \
    -max_len=16384 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$findings/" \
    "${dict[@]}" >"$log" 2>&1 || status=$?
  local runs cov ft
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  if [ $status -eq 0 ]; then
    printf '%-22s %4ss  %10s execs  cov %6s  ft %6s  findings 0\n' "$name" "$seconds" "${runs:-?}" "${cov:-?}" "${ft:-?}"
  else
    printf '%-22s FAILED (exit %s): see %s and %s\n' "$name" "$status" "$log" "$findings" >&2
    grep -E 'ERROR|invariant broken|runtime error|Test unit written' "$log" | head -5 >&2 || true
  fi
  return $status
}

echo "== fuzz: ${#targets[@]} targets, ${seconds}s each, $parallel at a time" >&2
failed=0
pids=()
names=()
for name in "${targets[@]}"; do
  run_one "$name" &
  pids+=($!)
  names+=("$name")
  if [ ${#pids[@]} -ge "$parallel" ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
    names=("${names[@]:1}")
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
if [ $failed -ne 0 ]; then
  echo "== fuzz: FINDINGS (see above)" >&2
  exit 1
fi
echo "== fuzz: no findings" >&2
