#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# bench_watch_idle.sh - what `rgs-enroll watch` costs while it waits for a
# card that is not there, through OpenSC and pcscd (issue 14, "Measured",
# CPU while waiting; bench_gtk.sh measures the same on SoftHSM). The card
# reader is tests/vcard's rgs-vcard (vpcd's virtual reader, a pcscd of its
# own, the card removed): first pcscd alone for IDLE_S seconds (what a
# reader costs with nobody asking), then the anchor, OpenSC's own wait for
# a card (`opensc-tool --wait --atr`), then `rgs-enroll watch --once` waiting on
# OpenSC's module, IDLE_S seconds each. For each process: CPU ms (/proc/PID/stat, 10 ms ticks)
# and context switches a second (every wakeup counts).
#
# Usage: bash bench/bench_watch_idle.sh
# Environment (optional): BENCH_BUILD_DIR (default /tmp/bench-gtk-build, a
# build with tests: rgs-vcard), BENCH_IDLE_S (default 30), BENCH_OUT
# (default a new /tmp/rgs-bench-idle.XXXXXX), BENCH_NO_BUILD=1.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${BENCH_BUILD_DIR:-/tmp/bench-gtk-build}
IDLE_S=${BENCH_IDLE_S:-30}
OUT=${BENCH_OUT:-$(mktemp -d /tmp/rgs-bench-idle.XXXXXX)}
mkdir -p "$OUT"
PIN=123456

say() { printf '>> %s\n' "$*" >&2; }
die() { printf 'bench_watch_idle.sh: %s\n' "$*" >&2; exit 1; }

if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
  case "$(realpath -m "$BUILD")/" in
    "$(realpath -m "$ROOT")"/*) die "BENCH_BUILD_DIR must be outside the source tree" ;;
  esac
  say "building (Release) in $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >"$OUT/build.log" 2>&1
  ninja -C "$BUILD" rgs-enroll rgs-vcard >>"$OUT/build.log" 2>&1 || die "build failed: $OUT/build.log"
fi
BIN=$BUILD/cli/rgs-enroll
VCARD=$BUILD/tests/vcard/rgs-vcard
OPENSC=$(find /usr/lib -name opensc-pkcs11.so -path '*pkcs11*' | head -n 1)
[ -x "$VCARD" ] && [ -n "$OPENSC" ] || die "missing rgs-vcard or OpenSC's module"

say "making the card in $OUT/card"
OPENSSL_BIN=openssl "$ROOT/tests/vcard/mkcard.sh" "$OUT/card" "$PIN"
mkdir -p "$OUT/pcscd" "$OUT/run" "$OUT/data"
chmod 700 "$OUT/run"
export PCSCLITE_CSOCK_NAME=$OUT/pcscd/pcscd.comm XDG_RUNTIME_DIR=$OUT/run \
  XDG_DATA_HOME=$OUT/data LC_ALL=C.UTF-8

coproc CARD { exec "$VCARD" --db "$OUT/card/nssdb" --pcscd "$OUT/pcscd" --cert sign \
  2>"$OUT/card.err"; }
CARD_IN=${CARD[1]}
CARD_OUT=${CARD[0]}
VCARD_PID=$CARD_PID
WATCH=""
trap '[ -z "$WATCH" ] || kill "$WATCH" 2>/dev/null || true; echo quit >&"$CARD_IN" 2>/dev/null || true; wait 2>/dev/null || true' EXIT

# card COMMAND: send it, read its answer line (the event waited for).
card() {
  [ -z "$1" ] || echo "$1" >&"$CARD_IN"
  IFS= read -r ANSWER <&"$CARD_OUT" || die "rgs-vcard ended: $(cat "$OUT/card.err")"
  case $ANSWER in error*) die "rgs-vcard: $ANSWER" ;; esac
}
card ""          # "ready READER": pcscd has the reader, no card in it
PCSCD=$(pgrep -P "$VCARD_PID" pcscd | head -n 1)
[ -n "$PCSCD" ] || die "no pcscd under rgs-vcard"

# ticks PID: utime + stime + cutime + cstime; switches PID: context
# switches of its live threads (thread id and count, one a line).
ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$1/stat"; }
switches() {
  for t in /proc/"$1"/task/*; do
    printf '%s %s\n' "${t##*/}" "$(awk '/ctxt_switches/ { n += $2 } END { print n }' "$t/status")"
  done
}
# idle NAME PID...: CPU and wakeups of each PID over IDLE_S seconds.
idle() {
  local name=$1 p hz
  shift
  hz=$(getconf CLK_TCK)
  for p in "$@"; do ticks "$p" >"$OUT/t0.$p"; switches "$p" >"$OUT/s0.$p"; done
  sleep "$IDLE_S"
  for p in "$@"; do
    local c0 c1 sw
    c0=$(cat "$OUT/t0.$p")
    c1=$(ticks "$p")
    switches "$p" >"$OUT/s1.$p"
    # Threads alive at both reads only.
    sw=$(awk 'NR == FNR { a[$1] = $2; next } ($1 in a) { n += $2 - a[$1] } END { print n + 0 }' \
      "$OUT/s0.$p" "$OUT/s1.$p")
    printf '| %s | %s | %d | %.2f | %.1f |\n' "$name" "$(tr '\0' ' ' <"/proc/$p/cmdline" | cut -c1-40)" \
      "$(( (c1 - c0) * 1000 / hz ))" "$(echo "($c1 - $c0) * 100 / $hz / $IDLE_S" | bc -l)" \
      "$(echo "$sw / $IDLE_S" | bc -l)"
  done
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
echo "Reproduce: \`bash bench/bench_watch_idle.sh\` (BENCH_IDLE_S=$IDLE_S)."
echo
echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')); opensc-pkcs11 $(dpkg-query -W -f='${Version}' opensc-pkcs11), pcscd $(dpkg-query -W -f='${Version}' pcscd), vpcd $(dpkg-query -W -f='${Version}' vsmartcard-vpcd); rgs-enroll at $(git -C "$ROOT" rev-parse --short HEAD); run $(date -u +%Y-%m-%dT%H:%MZ), load average $LOAD_START at start."
echo
echo "| phase | process | CPU ms | % of one core | context switches / s |"
echo "| --- | --- | ---: | ---: | ---: |"
say "pcscd alone, no card, $IDLE_S s"
idle "pcscd alone, no card" "$PCSCD"
# The anchor: OpenSC's own wait for a card (opensc-tool --wait, a blocking
# SCardGetStatusChange), the same time.
opensc-tool --wait --atr >"$OUT/anchor.out" 2>&1 &
ANCHOR=$!
sleep 2
kill -0 "$ANCHOR" 2>/dev/null || die "opensc-tool --wait stopped: $(cat "$OUT/anchor.out")"
say "anchor: opensc-tool --wait, $IDLE_S s"
idle "anchor: opensc-tool --wait --atr" "$ANCHOR" "$PCSCD"
kill "$ANCHOR" 2>/dev/null || true
wait "$ANCHOR" 2>/dev/null || true
"$BIN" order new --partner CMA --holder-first-name Jean --holder-last-name Dupont \
  --email jean@example.fr --company "BS AUTO" --siren 732829320 --payment carte --accept-cgu >/dev/null
"$BIN" --module "$OPENSC" watch --once --no-notify --no-udev --order 1 --timeout $((IDLE_S + 60)) \
  --trace "$OUT/watch.trace" \
  >"$OUT/watch.out" 2>"$OUT/watch.err" &
WATCH=$!
sleep 2   # past the watcher's start (module loaded, first scans)
kill -0 "$WATCH" 2>/dev/null || die "the watcher stopped: $(cat "$OUT/watch.err")"
say "watch waiting on OpenSC, $IDLE_S s"
idle "watch waiting (OpenSC)" "$WATCH" "$PCSCD"
kill -0 "$WATCH" 2>/dev/null || die "the watcher stopped while waiting: $(cat "$OUT/watch.err")"
echo
echo "Load average at end: $(cut -d' ' -f1-3 /proc/loadavg)."
