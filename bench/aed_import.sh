#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# aed_import.sh - time `aed import` of a 100 000-row AED directory and
# `aed list --dept 13` on the store it fills, beside SQLite's own CSV import
# and a SELECT by département of the same rows (the anchor, same run).
#
# Usage: bench/aed_import.sh [BUILD_DIR] [N]
#   BUILD_DIR  a configured build tree of rgs-enroll (default: /tmp/build-bench,
#              configured and built here if missing; never the source tree)
#   N          number of offices (default 100000), spread over 94
#              départements (01 to 95 but Corsica), about N/94 in each
#
# Each import runs on a fresh store (the file is removed before every run).
# Timing: hyperfine when installed, else a loop of date +%s%N (median of
# RUNS runs, after one warm-up). Targets: import under 2 s, list under 50 ms.
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-/tmp/build-bench}
N=${2:-100000}
RUNS=${RUNS:-10}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rgs-bench-aed-XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM

if [ ! -x "$BUILD/cli/rgs-enroll" ]; then
  cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null
fi
cmake --build "$BUILD" --target rgs-enroll >/dev/null
BIN="$BUILD/cli/rgs-enroll"
CSV="$WORK/offices.csv"

# N offices, one département after the other in turn; every field valid.
awk -v n="$N" 'BEGIN {
  print "id,name,address,postal_code,city,department,phone,email"
  nd = 0
  for (d = 1; d <= 95; d++) if (d != 20) depts[nd++] = sprintf("%02d", d)
  for (i = 1; i <= n; i++) {
    d = depts[i % nd]
    printf "aed-%06d,\"Étude %d, commissaires de justice\",%d rue de la République,%s%03d,VILLE %d,%s,04 91 %02d %02d %02d,etude%d@example.fr\n",
      i, i, i % 300 + 1, d, i % 1000, i, d, i % 100, (i / 100) % 100, (i / 10000) % 100, i
  }
}' >"$CSV"

echo "== machine"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
echo "nproc: $(nproc)"
echo "sqlite: $(sqlite3 --version | cut -d' ' -f1)"
echo "work: $WORK ($(df -T "$WORK" | awk 'NR==2 {print $2}'))"
echo "== directory file: $N offices, $(du -k "$CSV" | cut -f1) KiB"

# The store used by the list, and a check that the import is whole.
"$BIN" --db "$WORK/list.db" aed import "$CSV" >/dev/null
IN13=$("$BIN" --db "$WORK/list.db" --json aed list --dept 13 | grep -o '"count": *[0-9]*' | grep -o '[0-9]*$')
echo "aed list --dept 13 lists $IN13 offices (the 6 shipped ones included)"
# The anchor: the same CSV into a fresh SQLite table, then the same rows.
sqlite3 "$WORK/anchor.db" ".import --csv $CSV aed" "CREATE INDEX aed_dept ON aed(department)"

IMPORT="sh -c 'rm -f $WORK/s.db $WORK/s.db-wal $WORK/s.db-shm; exec $BIN --db $WORK/s.db aed import $CSV >/dev/null'"
ANCHOR_IMPORT="sh -c 'rm -f $WORK/a.db; exec sqlite3 $WORK/a.db \".import --csv $CSV aed\"'"
LIST="$BIN --db $WORK/list.db aed list --dept 13"
ANCHOR_LIST="sqlite3 $WORK/anchor.db \"SELECT * FROM aed WHERE department = '13'\""

if command -v hyperfine >/dev/null 2>&1; then
  echo "== hyperfine ($RUNS runs each, 1 warm-up)"
  hyperfine --warmup 1 --runs "$RUNS" \
    -n "rgs-enroll aed import ($N rows)" "$IMPORT" \
    -n "sqlite3 .import --csv ($N rows)" "$ANCHOR_IMPORT" \
    -n "rgs-enroll aed list --dept 13" "$LIST" \
    -n "sqlite3 SELECT ... WHERE department = '13'" "$ANCHOR_LIST"
  exit 0
fi

# Median wall time in ms of RUNS runs of a shell command line.
median_ms() {
  sh -c "$1" >/dev/null 2>&1
  i=0
  : >"$WORK/times"
  while [ $i -lt "$RUNS" ]; do
    s=$(date +%s%N)
    sh -c "$1" >/dev/null 2>&1
    e=$(date +%s%N)
    echo $(( (e - s) / 1000 )) >>"$WORK/times"
    i=$(( i + 1 ))
  done
  sort -n "$WORK/times" | awk '{ t[NR] = $1 } END {
    m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
    printf "median %.1f ms (min %.1f, max %.1f)\n", m / 1000, t[1] / 1000, t[NR] / 1000 }'
}

echo "== loop ($RUNS runs each after a warm-up, wall time of the whole process)"
echo "rgs-enroll aed import:        $(median_ms "$IMPORT")"
echo "sqlite3 .import --csv:        $(median_ms "$ANCHOR_IMPORT")"
echo "rgs-enroll aed list --dept 13: $(median_ms "$LIST")"
echo "sqlite3 SELECT by dept:       $(median_ms "$ANCHOR_LIST")"
