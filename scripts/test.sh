#!/bin/sh
# test.sh - build and run every test: the normal build (-Wall -Wextra -Werror),
# the same suite under AddressSanitizer + UndefinedBehaviorSanitizer, the
# static analyser, and a short libFuzzer run of each parser.
# Usage: ./scripts/test.sh            (FUZZ_SECONDS=0 to skip fuzzing)
set -eu
cd "$(dirname "$0")/.."
. scripts/deps.sh
rgs_install_deps

jobs=$(nproc 2>/dev/null || echo 2)
fuzz_seconds=${FUZZ_SECONDS:-20}

echo ">> build and test (gcc, -Werror)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Debug >/dev/null
ninja -C build
ctest --test-dir build --output-on-failure -j "$jobs"

echo ">> build and test under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRGS_SANITIZE=ON >/dev/null
ninja -C build-asan
ctest --test-dir build-asan --output-on-failure -j "$jobs"

echo ">> static analysis (cppcheck)"
cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability \
  --inline-suppr -I pkcs11 -I order -I enroll -I /usr/include/p11-kit-1 \
  --suppress=missingIncludeSystem pkcs11 order enroll

if [ "$fuzz_seconds" -gt 0 ]; then
  echo ">> fuzzing each parser for ${fuzz_seconds}s (clang, libFuzzer)"
  CC=clang cmake -S . -B build-fuzz -G Ninja -DRGS_FUZZ=ON >/dev/null
  ninja -C build-fuzz fuzz_uri fuzz_policy
  for t in uri policy; do
    work=$(mktemp -d)
    ./build-fuzz/tests/fuzz/fuzz_$t -max_total_time="$fuzz_seconds" -max_len=4096 \
      -print_final_stats=0 "$work" "tests/fuzz/corpus/$t" 2>&1 | tail -n 2
    rm -rf "$work"
  done
fi
echo ">> all tests passed"
