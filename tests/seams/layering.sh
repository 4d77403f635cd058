#!/usr/bin/env bash
# Fails when a file under src/orchestrator/ includes curl or anything from src/http/, directly
# or through the private headers it includes (followed transitively within src/).
set -euo pipefail
root=${1:?usage: layering.sh <source root>}
cd "$root/src"

declare -A seen=()
bad=0
visit() {  # file, chain
  local file=$1 chain=$2
  [ -n "${seen[$file]:-}" ] && return 0
  seen[$file]=1
  local inc
  while IFS= read -r inc; do
    case "$inc" in
      curl/*) echo "layering: $chain -> <$inc>" >&2; bad=1 ;;
      http/*) echo "layering: $chain -> $inc" >&2; bad=1 ;;
      *) [ -f "$inc" ] && visit "$inc" "$chain -> $inc" ;;
    esac
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]\([^>"]*\)[>"].*/\1/p' "$file")
  return 0
}
count=0
for f in orchestrator/*.hpp orchestrator/*.cpp; do
  visit "$f" "src/$f"
  count=$((count + 1))
done
[ "$count" -gt 0 ] || { echo "layering: no file under src/orchestrator" >&2; exit 1; }
if [ $bad -ne 0 ]; then
  echo "layering: src/orchestrator/ must reach providers through LLMClient and providers/async_calls.hpp only" >&2
  exit 1
fi
echo "layering: $count files under src/orchestrator/, none reaches curl or src/http/"
