#!/usr/bin/env bash
# Builds polyrouter_bench in Release, runs every benchmark case against a loopback server and
# a raw libcurl baseline, prints the results (markdown) and writes them to docs/benchmarks.md.
#
#   scripts/bench.sh                  the full run (about 10 minutes on 2 cores); rewrites the doc
#   scripts/bench.sh --quick          tiny counts, prints only (what CTest's bench.smoke runs)
#   scripts/bench.sh --case healthy   any polyrouter_bench options; prints only
#
# Environment: BENCH_BUILD_DIR (default build/bench-release), BENCH_DOC (default
# docs/benchmarks.md; written only by a full run), BENCH_CALLGRIND=0 to skip valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)
# Not build/bench: that is the bench/ subdirectory of a tree configured directly in build/.
build=${BENCH_BUILD_DIR:-$root/build/bench-release}
doc=${BENCH_DOC:-$root/docs/benchmarks.md}

"$root/scripts/deps.sh"

echo "== configure and build polyrouter_bench (Release) in $build" >&2
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DPOLYROUTER_BUILD_TESTS=OFF \
  -DPOLYROUTER_BUILD_EXAMPLES=OFF -DPOLYROUTER_BUILD_TOOLS=ON -DPOLYROUTER_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j"$jobs" --target polyrouter_bench >&2
bench="$build/bench/polyrouter_bench"

args=("$@")
full=1
for a in "$@"; do
  case "$a" in --quick | --case | --case=* | --requests | --url) full=0 ;; esac
done
callgrind=()
if [ "${BENCH_CALLGRIND:-1}" != 0 ] && command -v valgrind >/dev/null 2>&1; then
  callgrind=(--callgrind)
fi

command_line="scripts/bench.sh${*:+ $*}"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain 2>/dev/null | head -n1)" ]; then commit="$commit (with uncommitted changes)"; fi
started=$(date -u '+%Y-%m-%d %H:%M UTC')
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s)
out=$(mktemp)
json="$build/bench/results.json"
trap 'rm -f "$out"' EXIT

# The real provider shapes (case real_shapes) serve the repository's success fixtures.
fixtures=(--fixtures "$root/tests/fixtures")
echo "== $bench ${callgrind[*]} ${fixtures[*]} ${args[*]}" >&2
"$bench" "${callgrind[@]}" "${fixtures[@]}" --json "$json" "${args[@]}" >"$out"
cat "$out"

if [ $full -eq 0 ]; then
  exit 0
fi

# One "## NAME" section of the output, its heading included, up to the next one.
section() {
  awk -v heading="## $1" '$0 == heading { on = 1; print; next } /^## / { on = 0 } on' "$out"
}

elapsed=$(($(date +%s) - t0))
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
compiler=$("${cxx:-c++}" --version | head -n1)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
curl_version=$(curl-config --version 2>/dev/null || echo "libcurl (version unknown)")
valgrind_version=$(valgrind --version 2>/dev/null || echo "not installed")

{
  cat <<EOF
# Benchmarks

The network dominates an LLM call, so polyrouter must add close to nothing. These figures
compare it, in one run and on the same loopback server, with a minimal hand-written client on
raw libcurl + nlohmann_json, and report ratios: the machines are shared and noisy, so no
absolute time is ever a pass or fail.

Rerun: \`scripts/bench.sh\` (about ten minutes on two cores). It builds \`polyrouter_bench\` in
Release, runs every case below and rewrites this file. \`scripts/bench.sh --quick\` runs every
case once with tiny counts (that is what CTest's \`bench.smoke\` does, so the benchmark never
rots); \`polyrouter_bench --help\` lists the options.

EOF
  section "Results"
  cat <<EOF
## Real provider shapes

The healthy path measured a second way: the upstream answers with the real providers' success
fixtures (\`tests/fixtures\`, byte for byte, with their recorded headers), each on an origin of its
own at the path the provider's API uses, and the raw baseline sends the same request with the
same headers and reads the same answer fully (text, tool calls). Each ratio is the median of
per-round ratios, as above; bench/README.md ("Real provider shapes") says how.

EOF
  section "Real provider shapes" | sed '1,2d'
  cat <<EOF
## This run

| | |
|---|---|
| command | \`$command_line\` |
| date | $started; the cases ran for $elapsed s |
| commit | $commit |
| machine | $jobs cores available ($(nproc --all 2>/dev/null || echo "?") installed), $cpu, $(uname -sr) |
| load average (1, 5, 15 min) | before: $load_before; after: $load_after |
| compiler | $compiler |
| build type | Release (\`-O3 -DNDEBUG\`), static libpolyrouter |
| libcurl | $curl_version |
| valgrind | $valgrind_version |
| raw results | \`${json#"$root"/}\` (every round of every variant); callgrind profiles next to it |

EOF
  cat "$root/bench/README.md"
  echo
  sed -n '/^## Every median/,$p' "$out"
} >"$doc"
echo "== wrote ${doc#"$root"/}" >&2
