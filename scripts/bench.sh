#!/usr/bin/env bash
# bench.sh — the benchmark command: installs any missing build dependency (Debian, as root), makes
# a Release build in build-release/ and runs build-release/bench/rnnbptt-bench "$@".
# The BLAS thread count and OPENBLAS_* settings come from the environment, unchanged.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Only what the library and the benchmark need; nothing is installed when all are present.
need=(cmake gcc make pkg-config libopenblas-dev)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) != 0 ]]; then
    echo "bench.sh: missing packages: ${missing[*]} (run as root, or apt-get install them)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi

cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release \
      -DRNNBPTT_BUILD_BENCH=ON -DRNNBPTT_BUILD_TESTS=OFF -DRNNBPTT_BUILD_EXAMPLES=OFF
cmake --build build-release -j2
if [[ ! -x build-release/bench/rnnbptt-bench ]]; then
  echo "bench.sh: build-release/bench/rnnbptt-bench was not built (is there a bench/CMakeLists.txt?)" >&2
  exit 1
fi
exec build-release/bench/rnnbptt-bench "$@"
