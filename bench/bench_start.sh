#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# bench_start.sh - `rgs-enroll start` (check + on-card keygen + CSR) against the
# anchor tools doing the same work on the same kind of token:
#   * OpenSC + libp11:  pkcs11-tool --keypairgen, then openssl req -engine pkcs11
#   * GnuTLS:           p11tool --generate-privkey, then certtool --generate-request
# For every measured run a fresh SoftHSM2 token is made in a temporary directory.
# Each scenario is run twice per round: once through OpenSC's pkcs11-spy.so (to
# count PKCS#11 calls and time C_GenerateKeyPair) and once straight against
# libsofthsm2.so (wall time and peak RSS without the spy's logging).
#
# Usage: bash bench/bench_start.sh
# Environment (all optional):
#   BENCH_BUILD_DIR   where rgs-enroll is built (default /tmp/bench-build; never
#                     inside the source tree)
#   BENCH_RUNS        measured runs per scenario and mode (default 10)
#   BENCH_KEY_TYPES   default "rsa:2048 ec:p256 rsa:3072"
#   BENCH_OUT         results directory (default: a new /tmp/rgs-bench.XXXXXX)
#   BENCH_NO_INSTALL  set to 1 to skip the apt-get step
# Output: raw results and spy logs under BENCH_OUT, and a Markdown summary on
# standard output (also written to BENCH_OUT/summary.md).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
BUILD_DIR=${BENCH_BUILD_DIR:-/tmp/bench-build}
RUNS=${BENCH_RUNS:-10}
KEY_TYPES=${BENCH_KEY_TYPES:-"rsa:2048 ec:p256 rsa:3072"}
SOFTHSM=/usr/lib/softhsm/libsofthsm2.so
SPY=/usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so
ENGINE=/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so
POLICY=$ROOT/data/policy/demo-softhsm.conf
PIN=123456
SOPIN=12345678
TOKEN_LABEL=bench
CN='Frédéric SENEZ'
ORG='BS AUTO'
SIREN=732829320

say() { printf '>> %s\n' "$*" >&2; }
die() { printf 'bench_start.sh: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- packages
PACKAGES="build-essential cmake ninja-build pkg-config gettext
  libssl-dev openssl libp11-dev libp11-kit-dev libcurl4-openssl-dev libsqlite3-dev
  softhsm2 opensc opensc-pkcs11 libengine-pkcs11-openssl gnutls-bin time python3"

install_missing() {
    local missing="" p
    for p in $PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' \
            || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    say "installing:$missing"
    local sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd=sudo
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq \
        --no-install-recommends $missing >&2
}
[ "${BENCH_NO_INSTALL:-0}" = 1 ] || install_missing

for f in "$SOFTHSM" "$SPY" "$ENGINE" /usr/bin/time; do
    [ -e "$f" ] || die "missing $f"
done

# ---------------------------------------------------------------- build
case "$(realpath -m "$BUILD_DIR")/" in
    "$(realpath -m "$ROOT")"/*) die "BENCH_BUILD_DIR must be outside the source tree" ;;
esac
mkdir -p "$BUILD_DIR"
BUILD_NOTE="plain Release build"
build() {
    cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DBUILD_TESTING=OFF \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS="$1" >"$BUILD_DIR/bench-build.log" 2>&1 \
        && ninja -C "$BUILD_DIR" >>"$BUILD_DIR/bench-build.log" 2>&1
}
say "building rgs-enroll in $BUILD_DIR"
if ! build ""; then
    # A warning promoted to an error by -Werror must not stop the measurement:
    # retry with warnings left as warnings, and say so in the results.
    say "Release build failed (see $BUILD_DIR/bench-build.log); retrying with -Wno-error"
    grep -m3 'error:' "$BUILD_DIR/bench-build.log" >&2 || true
    BUILD_NOTE="Release build FAILED with -Werror ($(grep -m1 -o '\[-Werror=[^]]*\]' "$BUILD_DIR/bench-build.log" || echo '?')); measured a Release build with -Wno-error"
    build "-Wno-error" || die "build failed, see $BUILD_DIR/bench-build.log"
fi
RGS=$BUILD_DIR/cli/rgs-enroll
[ -x "$RGS" ] || die "no $RGS after the build"

# ---------------------------------------------------------------- results
OUT=${BENCH_OUT:-$(mktemp -d /tmp/rgs-bench.XXXXXX)}
mkdir -p "$OUT"
RESULTS=$OUT/results.tsv
printf 'tool\tkeytype\tmode\trun\tstep\twall_ns\trss_kb\tspylog\n' >"$RESULTS"
say "results in $OUT"

# openssl.cnf for libp11's engine, one per module (spy or direct)
for mode in spy direct; do
    if [ "$mode" = spy ]; then mod=$SPY; else mod=$SOFTHSM; fi
    cat >"$OUT/openssl-$mode.cnf" <<EOF
openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
pkcs11 = pkcs11_section
[pkcs11_section]
engine_id = pkcs11
dynamic_path = $ENGINE
MODULE_PATH = $mod
init = 0
EOF
done
cat >"$OUT/certtool.tmpl" <<EOF
cn = "$CN"
organization = "$ORG"
unit = "0002 $SIREN"
country = FR
EOF

# new_token DIR: a fresh SoftHSM2 token store with one initialised token
new_token() {
    mkdir -p "$1/tokens"
    printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
        "$1" >"$1/softhsm2.conf"
    SOFTHSM2_CONF=$1/softhsm2.conf softhsm2-util --init-token --free \
        --label "$TOKEN_LABEL" --pin "$PIN" --so-pin "$SOPIN" >/dev/null
    printf '%s\n' "$PIN" >"$1/pin"
}

# step TOOL KT MODE RUN RUNDIR STEP CMD...: run one process, timed, in RUNDIR
step() {
    local tool=$1 kt=$2 mode=$3 run=$4 dir=$5 name=$6
    shift 6
    local log="$dir/$name.spy" t0 t1 rc=0
    t0=$(date +%s%N)
    (cd "$dir" && env SOFTHSM2_CONF="$dir/softhsm2.conf" PKCS11SPY="$SOFTHSM" \
        PKCS11SPY_OUTPUT="$log" GNUTLS_PIN="$PIN" XDG_DATA_HOME="$dir/xdg" \
        OPENSSL_CONF="$OUT/openssl-$mode.cnf" \
        /usr/bin/time -f '%M' -o "$dir/$name.rss" "$@" >"$dir/$name.out" 2>"$dir/$name.err") || rc=$?
    t1=$(date +%s%N)
    if [ "$rc" -ne 0 ]; then
        cat "$dir/$name.err" >&2
        die "$tool $kt $mode run $run: step $name failed (rc $rc): $*"
    fi
    [ "$mode" = spy ] || log=-
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$kt" "$mode" "$run" "$name" \
        "$((t1 - t0))" "$(tail -n1 "$dir/$name.rss")" "$log" >>"$RESULTS"
}

# check_csr FILE: the request verifies and carries the expected subject
check_csr() {
    openssl req -in "$1" -noout -verify >/dev/null 2>&1 || die "$1 does not verify"
    openssl req -in "$1" -noout -subject -nameopt utf8,sep_comma_plus \
        | grep -q "CN=$CN" || die "$1: unexpected subject"
}

run_rgs() {  # MODE MODULE KT RUN DIR
    local mode=$1 mod=$2 kt=$3 run=$4 dir=$5
    step rgs-enroll "$kt" "$mode" "$run" "$dir" start \
        "$RGS" --module "$mod" --policy "$POLICY" --pin-file "$dir/pin" start \
        --key-type "$kt" --cn "$CN" --o "$ORG" --siren "$SIREN" --out "$dir/out.csr"
    check_csr "$dir/out.csr"
}

run_opensc() {
    local mode=$1 mod=$2 kt=$3 run=$4 dir=$5 p11kt
    case $kt in
        rsa:*) p11kt=$kt ;;
        ec:p256) p11kt=EC:prime256v1 ;;
        ec:p384) p11kt=EC:secp384r1 ;;
        *) die "no pkcs11-tool key type for $kt" ;;
    esac
    step opensc "$kt" "$mode" "$run" "$dir" check-L pkcs11-tool --module "$mod" -L
    step opensc "$kt" "$mode" "$run" "$dir" check-M pkcs11-tool --module "$mod" -M
    step opensc "$kt" "$mode" "$run" "$dir" keygen pkcs11-tool --module "$mod" \
        --keypairgen --key-type "$p11kt" --id 01 --label k --login --pin "$PIN"
    step opensc "$kt" "$mode" "$run" "$dir" csr openssl req -new -engine pkcs11 \
        -keyform engine -key "pkcs11:object=k;type=private;pin-value=$PIN" \
        -subj "/C=FR/O=$ORG/OU=0002 $SIREN/CN=$CN" -sha256 -utf8 -out "$dir/x.csr"
    check_csr "$dir/x.csr"
}

run_gnutls() {
    local mode=$1 mod=$2 kt=$3 run=$4 dir=$5
    local -a gen
    case $kt in
        rsa:*) gen=(--generate-privkey rsa --bits "${kt#rsa:}") ;;
        ec:p256) gen=(--generate-privkey ecdsa --curve secp256r1) ;;
        ec:p384) gen=(--generate-privkey ecdsa --curve secp384r1) ;;
        *) die "no p11tool key type for $kt" ;;
    esac
    local uri="pkcs11:token=$TOKEN_LABEL"
    step gnutls "$kt" "$mode" "$run" "$dir" check-tokens p11tool --provider "$mod" --list-tokens
    step gnutls "$kt" "$mode" "$run" "$dir" check-mechs p11tool --provider "$mod" \
        --list-mechanisms "$uri"
    step gnutls "$kt" "$mode" "$run" "$dir" keygen p11tool --provider "$mod" --login \
        "${gen[@]}" --label k --outfile "$dir/pub.pem" "$uri"
    step gnutls "$kt" "$mode" "$run" "$dir" csr certtool --provider "$mod" \
        --generate-request --load-privkey "$uri;object=k;type=private" \
        --template "$OUT/certtool.tmpl" --outfile "$dir/x.csr"
    check_csr "$dir/x.csr"
}

# ---------------------------------------------------------------- runs
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
# Rounds are interleaved (run i of every scenario before run i+1 of any) so
# that a drift of the machine's load spreads over all rows alike.
for run in $(seq 1 "$RUNS"); do
    say "round $run/$RUNS"
    for kt in $KEY_TYPES; do
        for tool in rgs opensc gnutls; do
            for mode in spy direct; do
                if [ "$mode" = spy ]; then mod=$SPY; else mod=$SOFTHSM; fi
                dir=$OUT/runs/$tool/${kt/:/-}/$mode/$run
                rm -rf "$dir"
                new_token "$dir"
                "run_$tool" "$mode" "$mod" "$kt" "$run" "$dir"
            done
        done
    done
done

# ---------------------------------------------------------------- machine
{
    echo "date=$(date -u +%Y-%m-%dT%H:%MZ)"
    echo "nproc=$(nproc)"
    echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "ram=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    echo "debian=$(cat /etc/debian_version 2>/dev/null || echo ?)"
    echo "kernel=$(uname -r)"
    for p in softhsm2 libsofthsm2 opensc opensc-pkcs11 libp11-3 libengine-pkcs11-openssl \
             gnutls-bin libgnutls30 openssl libssl3; do
        echo "pkg_$p=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo ?)"
    done
    echo "rgs_commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo ?)"
    echo "rgs_dirty=$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | wc -l)"
    echo "build_note=$BUILD_NOTE"
    echo "runs=$RUNS"
    echo "load=$LOAD_START at start, $(cut -d' ' -f1-3 /proc/loadavg) at end"
} >"$OUT/machine.txt"

python3 "$HERE/summarize.py" "$OUT" | tee "$OUT/summary.md"
say "raw results: $RESULTS; summary: $OUT/summary.md"
