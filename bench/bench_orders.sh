#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# bench_orders.sh - time the order commands on a store of 100 000 orders.
#
# Usage: bench/bench_orders.sh [BUILD_DIR] [N]
#   BUILD_DIR  a configured build tree of rgs-enroll (default: /tmp/build-bench,
#              configured and built here if missing; never the source tree)
#   N          number of orders (default 100000)
#
# Fills a fresh store through the order library (bench/gen_orders.c), then
# times `order list --dept 13`, `status ID` and `order show ID` (text and
# --json) with hyperfine when installed, else with a loop of date +%s%N.
# Target: each under 50 ms. Prints the machine it ran on.
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-/tmp/build-bench}
N=${2:-100000}
RUNS=${RUNS:-30}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rgs-bench-XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM

if [ ! -x "$BUILD/cli/rgs-enroll" ]; then
  cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null
fi
cmake --build "$BUILD" --target rgs-enroll rgsorder >/dev/null
BIN="$BUILD/cli/rgs-enroll"
LIB=$(find "$BUILD/order" -name 'librgsorder.a' | head -n 1)

cc -O2 -D_GNU_SOURCE -I"$SRC/order" "$SRC/bench/gen_orders.c" "$LIB" \
   $(pkg-config --cflags --libs sqlite3) -o "$WORK/gen_orders"

echo "== machine"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
echo "nproc: $(nproc)"
echo "sqlite: $(pkg-config --modversion sqlite3)"
echo "store: $WORK/orders.db ($(df -T "$WORK" | awk 'NR==2 {print $2}'))"

echo "== filling $N orders"
start=$(date +%s%N)
"$WORK/gen_orders" "$WORK/orders.db" "$N"
end=$(date +%s%N)
echo "created in $(( (end - start) / 1000000 )) ms; store $(du -k "$WORK/orders.db" | cut -f1) KiB"

MID=$(( N / 2 ))
DB="--db $WORK/orders.db"
LIST_COUNT=$("$BIN" $DB order list --dept 13 | wc -l)
echo "order list --dept 13 prints $LIST_COUNT orders; ID used: $MID"

if command -v hyperfine >/dev/null 2>&1; then
  echo "== hyperfine ($RUNS runs each, 3 warm-up)"
  hyperfine -N --warmup 3 --runs "$RUNS" --export-markdown "$WORK/bench.md" \
    -n "order list --dept 13" "$BIN $DB order list --dept 13" \
    -n "order list --dept 13 --json" "$BIN $DB --json order list --dept 13" \
    -n "status $MID" "$BIN $DB status $MID" \
    -n "order show $MID" "$BIN $DB order show $MID" \
    -n "order show $MID --json" "$BIN $DB --json order show $MID" \
    -n "rgs-enroll --version (process start)" "$BIN --version"
  cat "$WORK/bench.md"
else
  echo "== loop ($RUNS runs each, mean wall time)"
  for cmd in "order list --dept 13" "status $MID" "order show $MID"; do
    total=0
    i=0
    while [ $i -lt "$RUNS" ]; do
      s=$(date +%s%N)
      "$BIN" $DB $cmd >/dev/null
      e=$(date +%s%N)
      total=$(( total + e - s ))
      i=$(( i + 1 ))
    done
    echo "$cmd: $(( total / RUNS / 1000 )) us"
  done
fi
