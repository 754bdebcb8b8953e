#!/usr/bin/env bash
# The hmip test command (README): installs what is missing, builds twice and
# runs every test.
#
#   1. gcc, warnings as errors: unit tests, the scapy/tshark oracle tests, the
#      namespace scenarios of ard (host) and of mapd/mnd (VM when needed), the
#      kernel data-path suite (directly, or inside the distro-kernel VM when
#      the running kernel lacks ip6_tunnel/esp6/MIPv6), clang-tidy.
#   2. clang with ASan+UBSan: the unit tests again and a bounded libFuzzer run
#      of every decoder family.
#
# Ends with one line "tests: N passed, M failed" and exits non-zero on any
# failure.
#
# Environment: HMIP_BUILD_DIR (default ./build), HMIP_JOBS (default nproc),
# HMIP_FUZZ_SECONDS (per fuzzer, default 20), HMIP_SKIP_KERNEL=1 to leave out
# the kernel suite and the VM topology tests (e.g. while iterating on the wire layer).
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${HMIP_BUILD_DIR:-$repo/build}
asan_build=${build}-asan
jobs=${HMIP_JOBS:-$(nproc)}
export HMIP_FUZZ_SECONDS=${HMIP_FUZZ_SECONDS:-20}

step() { printf '\n==> %s\n' "$*"; }

step "dependencies"
"$repo/scripts/install-deps.sh" || exit 1

total_pass=0
total_fail=0
# Runs ctest in a build dir and adds its counts to the totals.
run_ctest() {
  local dir=$1
  shift
  local log
  log=$(mktemp)
  (cd "$dir" && ctest --output-on-failure -j "$jobs" "$@") 2>&1 | tee "$log"
  local line
  line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
  rm -f "$log"
  if [ -z "$line" ]; then
    echo "run-tests: ctest in $dir printed no summary" >&2
    total_fail=$((total_fail + 1))
    return
  fi
  local failed all
  failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
  all=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
  total_pass=$((total_pass + all - failed))
  total_fail=$((total_fail + failed))
}

build_dir() {
  local dir=$1
  shift
  cmake -S "$repo" -B "$dir" -G Ninja -DHMIP_WERROR=ON "$@" >/dev/null || return 1
  ninja -C "$dir" -j "$jobs"
}

step "build (gcc, -Werror) in $build"
if build_dir "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo; then
  step "tests: unit, oracle, lint, kernel"
  if [ "${HMIP_SKIP_KERNEL:-0}" = 1 ]; then
    run_ctest "$build" -LE 'kernel|vm'
  else
    run_ctest "$build"
  fi
else
  echo "run-tests: gcc build failed" >&2
  total_fail=$((total_fail + 1))
fi

step "build (clang, ASan+UBSan, libFuzzer) in $asan_build"
if CC=clang CXX=clang++ build_dir "$asan_build" -DCMAKE_BUILD_TYPE=Debug -DHMIP_SANITIZE=ON -DHMIP_FUZZ=ON; then
  step "tests under ASan+UBSan: unit and fuzz"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run_ctest "$asan_build" -L 'unit|fuzz'
else
  echo "run-tests: clang/sanitizer build failed" >&2
  total_fail=$((total_fail + 1))
fi

echo
echo "tests: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
