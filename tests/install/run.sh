#!/usr/bin/env bash
# run.sh — installed-package test: install the build tree into a fresh prefix, then build and run
# C and C++ consumers via pkg-config and via find_package(rnnbptt); check SONAME and exports.
# Registered by tests/CMakeLists.txt as the ctest `install_consumers`; exits 77 when skipped.
set -euo pipefail

while (($#)); do
  key=${1#--}; key=${key//-/_}
  printf -v "opt_$key" '%s' "${2-}"
  shift 2
done
build_dir=$opt_build_dir config=$opt_config work=$opt_work_dir src=$opt_source_dir
libdir=$opt_libdir includedir=$opt_includedir shared=$opt_shared san=$opt_sanitize_flags
cmake=$opt_cmake cc=$opt_cc cxx=$opt_cxx pkgconfig=$opt_pkg_config
nm=${opt_nm:-nm} readelf=${opt_readelf:-readelf}

fail() { echo "install_consumers: FAIL: $*" >&2; exit 1; }
run() { echo "+ $*" >&2; "$@"; }

if [[ $libdir == /* || $includedir == /* ]]; then
  echo "install_consumers: SKIP: absolute CMAKE_INSTALL_LIBDIR/INCLUDEDIR ($libdir, $includedir)" \
       "cannot be installed into a temporary prefix"
  exit 77
fi
[[ -n $cxx ]] || fail "no C++ compiler found: the C++ consumer cannot be built"
case $shared in ON|on|1|TRUE|true|YES|yes) shared=1 ;; *) shared=0 ;; esac

rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix
run "$cmake" --install "$build_dir" --prefix "$prefix" ${config:+--config "$config"}

# ---- the installed tree ------------------------------------------------------------------
L=$prefix/$libdir
for f in "$prefix/$includedir/rnnbptt.h" "$L/pkgconfig/rnnbptt.pc" \
         "$L/cmake/rnnbptt/rnnbpttConfig.cmake" "$L/cmake/rnnbptt/rnnbpttConfigVersion.cmake" \
         "$L/cmake/rnnbptt/rnnbpttTargets.cmake"; do
  [[ -f $f ]] || fail "not installed: $f"
done
cmp -s "$opt_header" "$prefix/$includedir/rnnbptt.h" || fail "installed header differs from $opt_header"

if ((shared)); then
  soname=librnnbptt.so.$opt_soversion
  [[ -f $L/librnnbptt.so.$opt_version ]] || fail "missing $L/librnnbptt.so.$opt_version"
  [[ $(readlink "$L/$soname") == "librnnbptt.so.$opt_version" ]] || fail "$soname is not a link to librnnbptt.so.$opt_version"
  [[ $(readlink "$L/librnnbptt.so") == "$soname" ]] || fail "namelink librnnbptt.so is not a link to $soname"
  got=$("$readelf" -d "$L/librnnbptt.so.$opt_version" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
  [[ $got == "$soname" ]] || fail "SONAME is '$got', expected $soname"
  echo "SONAME $got"

  # Exactly the functions the header declares are exported, nothing else.
  exported=$("$nm" -D --defined-only "$L/$soname" | awk '{print $NF}' | sort -u)
  declared=$(grep -E '^RNNBPTT_API' "$opt_header" | grep -oE '\brnnbptt_[a-z0-9_]+\(' | tr -d '(' | sort -u)
  [[ -n $declared ]] || fail "no RNNBPTT_API declarations parsed from $opt_header"
  if [[ $exported != "$declared" ]]; then
    diff <(echo "$declared") <(echo "$exported") >&2 || true
    fail "exported symbols (right) differ from the header's RNNBPTT_API declarations (left)"
  fi
  echo "exports: $(echo $exported)"
else
  [[ -f $L/librnnbptt.a ]] || fail "missing $L/librnnbptt.a"
fi

# ---- pkg-config consumers ------------------------------------------------------------------
export PKG_CONFIG_PATH=$L/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
pcver=$("$pkgconfig" --modversion rnnbptt)
[[ $pcver == "$opt_version" ]] || fail "pkg-config version $pcver, expected $opt_version"
static=()
((shared)) || static=(--static)
read -r -a pcflags <<<"$("$pkgconfig" "${static[@]}" --cflags --libs rnnbptt)"
read -r -a sanflags <<<"$san"
echo "pkg-config ${static[*]} --cflags --libs rnnbptt: ${pcflags[*]}"

run "$cc" -std=c99 -Wall -Wextra -Wpedantic -Werror "${sanflags[@]}" \
    "$src/consumer.c" -o "$work/consumer_c" "${pcflags[@]}"
run "$cxx" -std=c++11 -Wall -Wextra -Wpedantic -Werror "${sanflags[@]}" \
    "$src/consumer.cpp" -o "$work/consumer_cpp" "${pcflags[@]}"
for exe in consumer_c consumer_cpp; do
  if ((shared)); then
    resolved=$(LD_LIBRARY_PATH=$L ldd "$work/$exe" | awk '/librnnbptt/ {print $3}')
    [[ $resolved == "$L/"* ]] || fail "$exe resolves librnnbptt to '$resolved', not into $L"
  fi
  LD_LIBRARY_PATH=$L run "$work/$exe" || fail "$exe (pkg-config build) failed"
done

# ---- CMake consumers: install tree, then build tree ----------------------------------------
# Built in the configuration under test: a multi-config build tree holds only that one.
cfg=${config:-Release}
cmake_consumer() { # <name> <cmake args...>
  local name=$1 bdir=$work/$1
  shift
  run "$cmake" -S "$src/cmake_consumer" -B "$bdir" -G "$opt_generator" \
      -DCMAKE_BUILD_TYPE="$cfg" -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
      -DCMAKE_C_FLAGS="$san" -DCMAKE_CXX_FLAGS="$san" -DCMAKE_EXE_LINKER_FLAGS="$san" \
      -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON -DCMAKE_FIND_PACKAGE_NO_SYSTEM_PACKAGE_REGISTRY=ON \
      "$@"
  run "$cmake" --build "$bdir" --config "$cfg"
  run "$(dirname "$cmake")/ctest" --test-dir "$bdir" -C "$cfg" --output-on-failure
}
cmake_consumer cmake_install_tree -DCMAKE_PREFIX_PATH="$prefix"
found=$(sed -n 's/^rnnbptt_DIR:PATH=//p' "$work/cmake_install_tree/CMakeCache.txt")
[[ $found -ef $L/cmake/rnnbptt ]] || fail "find_package used '$found', not $L/cmake/rnnbptt"
cmake_consumer cmake_build_tree -Drnnbptt_DIR="$build_dir"

echo "install_consumers: OK"
