#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# vcard_apdus.sh - APDUs and PKCS#11 calls of rgs-enroll on a card through
# OpenSC and pcscd, against pkcs11-tool (OpenSC) and p11tool (GnuTLS) doing
# the same work in the same run. On a real card every APDU is a round trip
# to the card: fewer is faster. Target (issue 12): rgs-enroll sends fewer
# APDUs than either anchor for every command.
#
# The card is tests/vcard's rgs-vcard (libcacard's CAC emulation behind the
# vpcd reader driver) with a pcscd of its own; it counts the APDUs it
# answers and logs each one (CLA INS P1 P2). PKCS#11 calls are counted by
# the project's fault module (tests/faultmod, RGS_FAULT_COUNT_FILE) wrapped
# around opensc-pkcs11.so, loaded by all three tools alike. Before each run
# the card is removed and inserted again: each run starts on a card reset
# (no login, nothing cached by the card).
#
# Work compared (the same for the three tools where the tool allows it):
#   tokens      list the slots and the token
#   check       token information and mechanisms (rgs-enroll check; pkcs11-tool
#               -L -M; p11tool --list-tokens then --list-mechanisms: two runs)
#   delivered   log in, list certificates and keys with their attributes
#               (check --delivered; pkcs11-tool --login -O; p11tool --login --list-all)
#   signature   log in and sign with the card's key (csr: one signature,
#               verified; pkcs11-tool --sign SHA256-RSA-PKCS; p11tool --test-sign)
#
# Usage: bash bench/vcard_apdus.sh
# Environment (optional): BENCH_BUILD_DIR (default /tmp/bench-vcard-build,
# never in the source tree), BENCH_RUNS (default 3), BENCH_OUT (results
# directory; default a new /tmp/rgs-bench-vcard.XXXXXX), BENCH_NO_BUILD=1 (use
# BENCH_BUILD_DIR as it is built).
# Output: a Markdown table on standard output, the APDU logs and call counts
# of each run under BENCH_OUT.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${BENCH_BUILD_DIR:-/tmp/bench-vcard-build}
RUNS=${BENCH_RUNS:-3}
OUT=${BENCH_OUT:-$(mktemp -d /tmp/rgs-bench-vcard.XXXXXX)}
PIN=123456
KEY_URI='pkcs11:object=CAC%20ID%20Certificate;type=private'

say() { printf '>> %s\n' "$*" >&2; }
die() { printf 'vcard_apdus.sh: %s\n' "$*" >&2; exit 1; }

if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
  case "$(realpath -m "$BUILD")/" in
    "$(realpath -m "$ROOT")"/*) die "BENCH_BUILD_DIR must be outside the source tree" ;;
  esac
  . "$ROOT/scripts/deps.sh"
  rgs_install_deps >&2
  say "building in $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >"$OUT/build.log" 2>&1
  ninja -C "$BUILD" rgs-enroll rgs-vcard rgsfaultp11 >>"$OUT/build.log" 2>&1 || die "build failed: $OUT/build.log"
fi
BIN=$BUILD/cli/rgs-enroll
VCARD=$BUILD/tests/vcard/rgs-vcard
FAULT=$(find "$BUILD/tests/faultmod" -name 'librgsfaultp11.so' | head -n 1)
OPENSC=$(find /usr/lib -name opensc-pkcs11.so -path '*pkcs11*' | head -n 1)
[ -x "$VCARD" ] && [ -n "$FAULT" ] && [ -n "$OPENSC" ] || die "missing rgs-vcard, the fault module or OpenSC"

say "making the card in $OUT/card"
OPENSSL_BIN=openssl "$ROOT/tests/vcard/mkcard.sh" "$OUT/card" "$PIN"
printf '%s\n' "$PIN" >"$OUT/pin"
head -c 1000 /dev/urandom >"$OUT/data"
mkdir -p "$OUT/pcscd"
export PCSCLITE_CSOCK_NAME=$OUT/pcscd/pcscd.comm

coproc CARD { exec "$VCARD" --db "$OUT/card/nssdb" --pcscd "$OUT/pcscd" --cert sign --cert auth \
  --cert enc --log "$OUT/apdu.log" 2>"$OUT/card.err"; }
CARD_IN=${CARD[1]}
CARD_OUT=${CARD[0]}
trap 'echo quit >&"$CARD_IN" 2>/dev/null || true; wait 2>/dev/null || true' EXIT

# card COMMAND: send it, read the answer line (the event waited for) into
# ANSWER. Never in a $(...): the coprocess's pipes are not open there.
card() {
  [ -z "$1" ] || echo "$1" >&"$CARD_IN"
  IFS= read -r ANSWER <&"$CARD_OUT" || die "rgs-vcard ended: $(cat "$OUT/card.err")"
  case $ANSWER in error*) die "rgs-vcard: $ANSWER" ;; esac
}
card ""
card insert
apdus() { card count; APDUS=${ANSWER#apdus }; }

TOKEN_URI="pkcs11:token=$("$BIN" --module "$OPENSC" --json tokens | python3 -c '
import json, sys, urllib.parse
d = json.load(sys.stdin)
print(urllib.parse.quote([s["token"]["label"] for s in d["slots"] if s.get("token")][0]))')"

export RGS_FAULT_REAL=$OPENSC GNUTLS_PIN=$PIN

# The scenarios: name, tool, then the command lines (one per process, ';;').
scenario() {
  local cmd=$1 tool=$2
  case "$cmd/$tool" in
    tokens/rgs-enroll)  echo "$BIN --module $FAULT tokens" ;;
    tokens/pkcs11-tool) echo "pkcs11-tool --module $FAULT -L" ;;
    tokens/p11tool)     echo "p11tool --provider $FAULT --list-tokens" ;;
    check/rgs-enroll)   echo "$BIN --module $FAULT check" ;;
    check/pkcs11-tool)  echo "pkcs11-tool --module $FAULT -L -M" ;;
    check/p11tool)      echo "p11tool --provider $FAULT --list-tokens;;p11tool --provider $FAULT --list-mechanisms '$TOKEN_URI'" ;;
    delivered/rgs-enroll)  echo "$BIN --module $FAULT --pin-file $OUT/pin check --delivered --ca-file $OUT/card/ca.pem" ;;
    delivered/pkcs11-tool) echo "pkcs11-tool --module $FAULT --login --pin $PIN -O" ;;
    delivered/p11tool)     echo "p11tool --provider $FAULT --login --list-all '$TOKEN_URI'" ;;
    signature/rgs-enroll)  echo "$BIN --module $FAULT --pin-file $OUT/pin csr --key '$KEY_URI' --out $OUT/req.pem --force --cn Test --o Test --siren 732829320" ;;
    signature/pkcs11-tool) echo "pkcs11-tool --module $FAULT --login --pin $PIN --sign -m SHA256-RSA-PKCS --id 0001 -i $OUT/data -o $OUT/sig" ;;
    signature/p11tool)     echo "p11tool --provider $FAULT --login --test-sign '$TOKEN_URI;object=CAC%20ID%20Certificate'" ;;
  esac
}

# One run: reset the card (out and in), run the command lines, count into
# RESULT ("APDUs calls processes").
measure() {
  local cmd=$1 tool=$2 run=$3 tag="$1.$2.$3" before line procs=0
  card remove
  card insert
  : >"$OUT/apdu.log"
  : >"$OUT/calls.$tag"
  apdus
  before=$APDUS
  IFS=$'\n'
  for line in $(scenario "$cmd" "$tool" | sed 's/;;/\n/g'); do
    procs=$((procs + 1))
    RGS_FAULT_COUNT_FILE=$OUT/calls.$tag eval "$line" >"$OUT/out.$tag" 2>&1 \
      || [ "$cmd/$tool" = check/rgs-enroll ] || [ "$cmd/$tool" = delivered/rgs-enroll ] \
      || die "$cmd/$tool failed: $(cat "$OUT/out.$tag")"
  done
  unset IFS
  apdus
  cp "$OUT/apdu.log" "$OUT/apdus.$tag"
  RESULT="$((APDUS - before)) $(wc -l <"$OUT/calls.$tag") $procs"
}

echo "== machine"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), nproc $(nproc)"
echo "opensc $(dpkg-query -W -f='${Version}' opensc-pkcs11), pcscd $(dpkg-query -W -f='${Version}' pcscd)," \
     "vpcd $(dpkg-query -W -f='${Version}' vsmartcard-vpcd), libcacard $(dpkg-query -W -f='${Version}' libcacard0)," \
     "gnutls-bin $(dpkg-query -W -f='${Version}' gnutls-bin)"
echo "card: libcacard CAC emulation, 3 RSA 2048 keys and certificates; runs: $RUNS each (card reset before each)"
echo
echo "| command | tool | APDUs | PKCS#11 calls | processes |"
echo "| --- | --- | ---: | ---: | ---: |"
for cmd in tokens check delivered signature; do
  for tool in rgs-enroll pkcs11-tool p11tool; do
    res=""
    for run in $(seq 1 "$RUNS"); do
      measure "$cmd" "$tool" "$run"
      res="$res$RESULT"$'\n'
    done
    # Counts are the same run after run; min-max when they are not.
    a=$(printf '%s' "$res" | awk '{print $1}' | sort -n | uniq | paste -sd- | sed 's/-.*-/-/')
    c=$(printf '%s' "$res" | awk '{print $2}' | sort -n | uniq | paste -sd- | sed 's/-.*-/-/')
    p=$(printf '%s' "$res" | awk 'NR==1 {print $3}')
    echo "| $cmd | $tool | $a | $c | $p |"
  done
done
echo
echo "Per run: APDU logs $OUT/apdus.COMMAND.TOOL.RUN (CLA INS P1 P2), PKCS#11 calls $OUT/calls.*"
