#!/usr/bin/env bash
# The repository stands alone: no tracked file names a path outside it (a sibling folder or an
# absolute path of some machine), and every relative link in the Markdown docs resolves.
#   self_contained.sh <repository root>
set -euo pipefail
root="$(cd "${1:?root}" && pwd)"
cd "$root"
if git rev-parse --git-dir >/dev/null 2>&1; then
  mapfile -d '' files < <(git ls-files -z --cached --others --exclude-standard)
else
  mapfile -d '' files < <(find . -path './build*' -prune -o -path ./.git -prune -o -type f -print0)
fi
status=0
# This script names the patterns it looks for; the fixtures are providers' payloads (a tool call
# may carry a user's path as data).
pattern='\.\./shared|/work/|/home/[a-z]|/root/|/Users/'
if hits=$(grep -nIE "$pattern" -- "${files[@]}" | grep -vE '^(tests/docs/self_contained.sh|tests/fixtures/)'); then
  echo "paths outside the repository:" >&2
  echo "$hits" >&2
  status=1
fi
for doc in "${files[@]}"; do
  [[ "$doc" == *.md ]] || continue
  dir="$(dirname "$doc")"
  # [text](target) links that are not URLs or anchors
  while IFS= read -r target; do
    target="${target%%#*}"
    [[ -z "$target" ]] && continue
    if [[ ! -e "$dir/$target" ]]; then
      echo "$doc: broken link to $target" >&2
      status=1
    fi
  done < <(grep -oE '\]\([^)[:space:]]+\)' "$doc" | sed -E 's/^\]\((.*)\)$/\1/' | grep -vE '^(https?:|mailto:|#)' || true)
done
[[ $status -eq 0 ]] && echo "self-contained: ${#files[@]} files checked"
exit $status
