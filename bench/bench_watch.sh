#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# bench_watch.sh - time from the token becoming visible to the first step
# starting, with `rgs-enroll watch --once` on SoftHSM2 (issue 6; target:
# under 200 ms, the card's own work excluded).
#
# Each run: a fresh SoftHSM2 directory with no token, an order awaiting its
# key, the watcher started and left polling for a random 0.3 to 1.5 s (so
# that the token lands at any phase of the poll backoff), then the token
# appears at once: it is made beforehand by `softhsm2-util --init-token` in
# a staging directory and moved into the watched token directory with one
# rename(2). "Visible" is the clock read just before that `mv` (so the
# figures below slightly overstate the latency): from the rename on, any
# C_Initialize of the module lists the token.
# The watcher writes realtime stamps with --trace: "visible" when its poll
# returns the token, "spawn" right before the step (rgs-enroll start
# --order N) is executed. Reported, in ms:
#   detect  = watcher's "visible" - init-token returned (the poll latency)
#   prepare = "spawn" - watcher's "visible" (plan: store, certificates,
#             lock, argv)
#   total   = "spawn" - init-token returned   <- the figure of the target
# The step's own work (key generation on the token) is not timed.
#
# Usage: bench/bench_watch.sh [BUILD_DIR] [RUNS] [POLL_MAX_MS]
#        (defaults: build, 20, the watcher's default of 150)
set -euo pipefail

build=${1:-build}
runs=${2:-20}
poll_max=${3:-}
bin="$build/cli/rgs-enroll"
module=${SOFTHSM2_MODULE:-}
for m in "$module" /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so; do
  if [ -n "$m" ] && [ -r "$m" ]; then module=$m; break; fi
done
here=$(cd "$(dirname "$0")/.." && pwd)
policy="$here/data/policy/demo-softhsm.conf"
[ -x "$bin" ] || { echo "bench_watch: build first ($bin missing)" >&2; exit 2; }
[ -r "$module" ] || { echo "bench_watch: SoftHSM2 module not found" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
results="$work/results"
: > "$results"
poll_args=()
[ -n "$poll_max" ] && poll_args=(--poll-max "$poll_max")

for i in $(seq 1 "$runs"); do
  d="$work/run$i"
  mkdir -p "$d/tokens" "$d/staging" "$d/run"
  chmod 700 "$d/run"
  printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$d" > "$d/softhsm2.conf"
  printf 'directories.tokendir = %s/staging\nobjectstore.backend = file\nlog.level = ERROR\n' "$d" > "$d/staging.conf"
  SOFTHSM2_CONF="$d/staging.conf" softhsm2-util --init-token --free --label "Jean DUPONT" \
    --pin 123456 --so-pin 12345678 > /dev/null
  token=$(ls "$d/staging")
  printf '123456\n' > "$d/pin"
  export SOFTHSM2_CONF="$d/softhsm2.conf" XDG_RUNTIME_DIR="$d/run" LC_ALL=C.UTF-8
  common=(--db "$d/orders.db" --module "$module" --policy "$policy" --pin-file "$d/pin")
  "$bin" "${common[@]}" order new --partner CMA --validity 2 --holder-first-name Jean \
    --holder-last-name Dupont --email jean.dupont@example.fr --company "BS AUTO" \
    --siren 732829320 --payment virement --accept-cgu > /dev/null
  "$bin" "${common[@]}" watch --once --timeout 60 --no-notify --no-udev --order 1 "${poll_args[@]}" \
    --trace "$d/trace" > "$d/out" 2> "$d/err" &
  pid=$!
  until grep -q '^ready ' "$d/trace" 2>/dev/null; do sleep 0.01; done
  sleep "0.$(( RANDOM % 12 + 3 ))"
  t0=$(date +%s%N)
  mv "$d/staging/$token" "$d/tokens/$token"
  wait "$pid" || { echo "bench_watch: watcher failed, run $i:" >&2; cat "$d/err" >&2; exit 1; }
  vis=$(awk '$1 == "visible" { print $2; exit }' "$d/trace")
  spawn=$(awk '$1 == "spawn" { print $2; exit }' "$d/trace")
  [ -n "$vis" ] && [ -n "$spawn" ] || { echo "bench_watch: no trace, run $i" >&2; cat "$d/err" >&2; exit 1; }
  echo "$t0 $vis $spawn" >> "$results"
  rm -rf "$d"
done

stats() {   # column expression -> "min median p95 max mean" in ms
  awk "{ print ($1) / 1e6 }" "$results" | sort -n | awk '
    { v[NR] = $1; s += $1 }
    END {
      p95 = v[int(NR * 0.95 + 0.999)]; if (p95 == "") p95 = v[NR];
      med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
      printf "%8.1f %8.1f %8.1f %8.1f %8.1f\n", v[1], med, p95, v[NR], s / NR }'
}

cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
echo "rgs-enroll watch on SoftHSM2: $runs runs, poll cap ${poll_max:-150 (default)} ms"
echo "machine: $cpu, $(nproc) CPUs, $(uname -sr)"
printf '%-8s %8s %8s %8s %8s %8s   (ms)\n' "" min median p95 max mean
printf '%-8s %s\n' detect "$(stats '$2 - $1')"
printf '%-8s %s\n' prepare "$(stats '$3 - $2')"
printf '%-8s %s\n' total "$(stats '$3 - $1')"
