#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
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
# The package tests build a release tree of their own: nothing for ASan to see.
ctest --test-dir build-asan --output-on-failure -j "$jobs" -LE package

echo ">> static analysis (cppcheck)"
cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability \
  --inline-suppr -I common -I pkcs11 -I order -I enroll -I cli -I /usr/include/p11-kit-1 \
  --suppress=missingIncludeSystem common pkcs11 order enroll cli

if [ "$fuzz_seconds" -gt 0 ]; then
  echo ">> fuzzing each parser for ${fuzz_seconds}s (clang, libFuzzer)"
  CC=clang cmake -S . -B build-fuzz -G Ninja -DRGS_FUZZ=ON >/dev/null
  # target, binary, seed corpus: every parser of untrusted input.
  set -- fuzz_uri tests/fuzz/fuzz_uri tests/fuzz/corpus/uri \
         fuzz_policy tests/fuzz/fuzz_policy tests/fuzz/corpus/policy \
         fuzz_pin_input tests/fuzz/fuzz_pin_input tests/fuzz/corpus/pin_input \
         fuzz_canon tests/f2f/fuzz_canon tests/f2f/corpus/canon \
         fuzz_aed_trust tests/f2f/fuzz_aed_trust tests/f2f/corpus/aed_trust \
         fuzz_dossier_short tests/f2f/fuzz_dossier_short tests/f2f/corpus/dossier_short \
         fuzz_certs tests/est/fuzz_certs tests/est/corpus/certs \
         fuzz_aed_csv tests/order/fuzz_aed_csv tests/order/corpus/aed_csv \
         fuzz_udev_props tests/udev/fuzz_udev_props tests/udev/corpus/udev_props
  while [ $# -ge 3 ]; do
    ninja -C build-fuzz "$1" >/dev/null
    work=$(mktemp -d)
    ./build-fuzz/"$2" -max_total_time="$fuzz_seconds" -max_len=8192 \
      -print_final_stats=0 "$work" "$3" 2>&1 | tail -n 2
    rm -rf "$work"
    shift 3
  done
fi
echo ">> all tests passed"
