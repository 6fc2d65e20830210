#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# bench_gtk.sh - the window rgs-enroll-gtk measured (issue 14, "Measured"),
# from outside, through its accessibility tree, under xvfb-run and
# dbus-run-session with the cairo renderer, on SoftHSM2 tokens made fresh
# for every run (bench/bench_gtk.py does the measuring):
#   a. start -> the frame with its first page's content (median of RUNS),
#      and the PIN dialog alone as the floor of GTK 4 + libadwaita;
#   b. a token appearing -> "Key found";
#   c. the main loop's longest stall while `start` makes an RSA 3072 key
#      pair (a D-Bus round trip the GTK main loop serves, every 5 ms);
#   d. CPU while waiting for a token: the window, and `rgs-enroll watch`.
#
# Usage: bash bench/bench_gtk.sh
# Environment (optional): BENCH_BUILD_DIR (default /tmp/bench-gtk-build,
# never in the source tree), BENCH_RUNS (default 7), BENCH_IDLE_S (default
# 30), BENCH_OUT (default a new /tmp/rgs-bench-gtk.XXXXXX), BENCH_NO_BUILD=1
# (use BENCH_BUILD_DIR as it is).
# Output: Markdown on standard output (also BENCH_OUT/summary.md), raw
# figures in BENCH_OUT/results.json.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${BENCH_BUILD_DIR:-/tmp/bench-gtk-build}
RUNS=${BENCH_RUNS:-7}
IDLE_S=${BENCH_IDLE_S:-30}
OUT=${BENCH_OUT:-$(mktemp -d /tmp/rgs-bench-gtk.XXXXXX)}
PY=/usr/bin/python3   # Debian's: python3-pyatspi lives there
export PYTHONDONTWRITEBYTECODE=1   # nothing written into the source tree

say() { printf '>> %s\n' "$*" >&2; }
die() { printf 'bench_gtk.sh: %s\n' "$*" >&2; exit 1; }

for t in xvfb-run dbus-run-session softhsm2-util; do
  command -v "$t" >/dev/null || die "missing $t (Debian: xvfb, dbus, softhsm2)"
done
"$PY" -c 'import pyatspi' 2>/dev/null || die "missing python3-pyatspi"
[ -e /usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so ] || die "missing OpenSC's pkcs11-spy.so (opensc)"
mkdir -p "$OUT"

if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
  case "$(realpath -m "$BUILD")/" in
    "$(realpath -m "$ROOT")"/*) die "BENCH_BUILD_DIR must be outside the source tree" ;;
  esac
  say "building (Release) in $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >"$OUT/build.log" 2>&1
  ninja -C "$BUILD" rgs-enroll rgs-enroll-gtk pin_probe >>"$OUT/build.log" 2>&1 \
    || die "build failed: $OUT/build.log"
fi
[ -x "$BUILD/gtk/rgs-enroll-gtk" ] || die "no $BUILD/gtk/rgs-enroll-gtk"

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
say "results in $OUT"
xvfb-run -a -s "-screen 0 1280x1024x24 -noreset" dbus-run-session -- \
  "$PY" "$HERE/bench_gtk.py" "$BUILD" "$OUT" "$RUNS" "$IDLE_S" >"$OUT/figures.md" \
  2> >(grep -v -e 'Gtk-WARNING' -e '^$' -e 'dbus-daemon' >&2)

pkgs=""
for p in libgtk-4-1 libadwaita-1-0 libsofthsm2 xvfb at-spi2-core python3-pyatspi; do
  pkgs="$pkgs $p $(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo ?),"
done
{
  echo "Reproduce: \`bash bench/bench_gtk.sh\` (BENCH_RUNS=$RUNS, BENCH_IDLE_S=$IDLE_S)."
  echo
  echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')),"
  echo "$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), Debian $(cat /etc/debian_version), Linux $(uname -r);"
  echo "packages:${pkgs%,}; rgs-enroll at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo ?)"
  echo "($(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | wc -l) tracked files modified), Release build;"
  echo "run $(date -u +%Y-%m-%dT%H:%MZ), load average $LOAD_START at start, $(cut -d' ' -f1-3 /proc/loadavg) at end."
  echo
  cat "$OUT/figures.md"
} | tee "$OUT/summary.md"
