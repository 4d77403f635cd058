#!/usr/bin/env bash
# Runs the shell snippets README.md marks as runnable, so the docs cannot drift from the code.
# A snippet is the ```sh block right after a line `<!-- runnable: KIND -->`.
#
#   readme_snippets.sh list      README KIND                print the KIND snippets
#   readme_snippets.sh simulator README CLI_DIR SIM_DIR     run the `simulator` snippets from the
#       repository root, with the built polyrouter and polyrouter-sim first on PATH, in an
#       environment with no real key; each must exit 0
#   readme_snippets.sh install   README PREFIX              run the `install` snippet in a copy of
#       the repository, installing into PREFIX instead of the /usr/local it names
set -euo pipefail

snippets() {  # README KIND: each snippet, NUL-terminated
  awk -v kind="$2" '
    $0 ~ "^<!-- runnable: " kind " -->" { armed = 1; next }
    armed && /^```sh$/ { inside = 1; armed = 0; text = ""; next }
    inside && /^```$/ { printf "%s%c", text, 0; inside = 0; next }
    inside { text = text $0 "\n"; next }
    armed && NF { armed = 0 }
  ' "$1"
}

run_each() {  # README KIND, then the command that runs one snippet given as $1
  local readme=$1 kind=$2 count=0 snippet
  shift 2
  while IFS= read -r -d '' snippet; do
    count=$((count + 1))
    printf -- '--- %s snippet %d:\n%s' "$kind" "$count" "$snippet"
    if ! "$@" "$snippet"; then
      echo "FAILED: $kind snippet $count of $readme (above)" >&2
      return 1
    fi
  done < <(snippets "$readme" "$kind")
  [[ $count -gt 0 ]] || { echo "no '$kind' snippet in $readme" >&2; return 1; }
  echo "--- $count $kind snippet(s) ran"
}

mode=${1:?mode}
readme="$(cd "$(dirname "${2:?README}")" && pwd)/$(basename "$2")"
root="$(dirname "$readme")"
case "$mode" in
  list)
    snippets "$readme" "${3:?KIND}" | tr '\0' '\n'
    ;;
  simulator)
    cli_dir=${3:?CLI_DIR} sim_dir=${4:?SIM_DIR}
    home="$(mktemp -d "${TMPDIR:-/tmp}/polyrouter-readme.XXXXXX")"
    trap 'rm -rf "$home"' EXIT
    run_simulator_snippet() {
      (cd "$root" && env -i PATH="$cli_dir:$sim_dir:/usr/bin:/bin" HOME="$home" TMPDIR="$home" LANG=C.UTF-8 \
        timeout 120 bash -euo pipefail -c "$1")
    }
    run_each "$readme" simulator run_simulator_snippet
    ;;
  install)
    prefix=${3:?PREFIX}
    copy="$(mktemp -d "${TMPDIR:-/tmp}/polyrouter-install.XXXXXX")"
    trap 'rm -rf "$copy"' EXIT
    # The repository as a user has it: the tracked files (or, outside git, the tree without builds).
    if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
      git -C "$root" ls-files -z --cached --others --exclude-standard |
        (cd "$root" && xargs -0 cp --parents -t "$copy" 2>/dev/null || true)
    else
      tar -C "$root" --exclude='./build*' -cf - . | tar -C "$copy" -xf -
    fi
    [[ -f "$copy/CMakeLists.txt" ]] || { echo "could not copy the repository" >&2; exit 1; }
    run_install_snippet() {
      (cd "$copy" && bash -euo pipefail -c "${1//\/usr\/local/$prefix}")
    }
    run_each "$readme" install run_install_snippet
    ;;
  *)
    echo "unknown mode $mode" >&2
    exit 2
    ;;
esac
