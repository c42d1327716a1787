#!/usr/bin/env bash
# check_includes.sh — the source folders' dependencies point one way: util < exec < layers <
# train < mpi. A file in src/F/ may include the public header ("rnnbptt.h") and the headers of F
# and of the folders before it ("exec/exec.h"), never one of a folder after it; a quoted include
# without a folder is refused too (it would hide which folder it comes from). Exits 1 and names
# each offending line.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
order=(util exec layers train mpi)
level() {
  local i
  for i in "${!order[@]}"; do [[ ${order[$i]} == "$1" ]] && { echo "$i"; return; }; done
  echo -1
}
bad=0
while IFS= read -r file; do
  folder=${file#src/}
  folder=${folder%%/*}
  mine=$(level "$folder")
  if ((mine < 0)); then
    echo "check_includes: $file: folder '$folder' is not one of: ${order[*]}"
    bad=1
    continue
  fi
  while IFS=: read -r line inc; do
    target=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/' <<<"$inc")
    [[ $target == rnnbptt.h ]] && continue
    if [[ $target != */* ]]; then
      echo "check_includes: $file:$line: \"$target\" names no folder"
      bad=1
      continue
    fi
    theirs=$(level "${target%%/*}")
    if ((theirs < 0 || theirs > mine)); then
      echo "check_includes: $file:$line: $folder/ may not include \"$target\""
      bad=1
    fi
  done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" || true)
done < <(find src -type f \( -name '*.c' -o -name '*.h' \) | sort)
if ((bad)); then
  exit 1
fi
echo "check_includes: every include in src/ points to its own folder or one before it (${order[*]})"
