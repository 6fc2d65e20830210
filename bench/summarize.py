#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Summarise a bench_start.sh results directory as Markdown (standard output).

Reads OUT/results.tsv (one line per process run), OUT/machine.txt and the
pkcs11-spy logs it names. A PKCS#11 call is a spy log line "N: C_Xxx"; the
line after it holds the call's entry time stamp (millisecond resolution).
"""
import collections
import csv
import datetime
import re
import statistics
import sys

ENTRY = ("C_GetFunctionList", "C_GetInterface")
CALL_RE = re.compile(r"^[0-9]+: (C_\w+)")
TS_RE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$")

# (row label, tool, steps)
ROWS = [
    ("`rgs-enroll start` (check + keygen + key check + CSR)", "rgs-enroll", ("start",)),
    ("OpenSC + libp11: `pkcs11-tool --keypairgen` + `openssl req -engine pkcs11`",
     "opensc", ("keygen", "csr")),
    ("OpenSC + libp11, plus check `pkcs11-tool -L` + `-M`",
     "opensc", ("check-L", "check-M", "keygen", "csr")),
    ("GnuTLS: `p11tool --generate-privkey` + `certtool --generate-request`",
     "gnutls", ("keygen", "csr")),
    ("GnuTLS, plus check `p11tool --list-tokens` + `--list-mechanisms`",
     "gnutls", ("check-tokens", "check-mechs", "keygen", "csr")),
]
SHORT = ["rgs-enroll start", "OpenSC+libp11", "OpenSC+libp11 +check",
         "GnuTLS", "GnuTLS +check"]


def parse_spy(path):
    """Return (list of call names, keygen duration in ms or None)."""
    calls, stamps = [], []
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    for i, line in enumerate(lines):
        m = CALL_RE.match(line)
        if not m:
            continue
        calls.append(m.group(1))
        ts = None
        if i + 1 < len(lines) and TS_RE.match(lines[i + 1]):
            ts = datetime.datetime.strptime(lines[i + 1], "%Y-%m-%d %H:%M:%S.%f")
        stamps.append(ts)
    keygen = None
    for i, name in enumerate(calls):
        if name == "C_GenerateKeyPair" and i + 1 < len(calls) \
                and stamps[i] and stamps[i + 1]:
            keygen = (stamps[i + 1] - stamps[i]).total_seconds() * 1000.0
    return calls, keygen


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def fmt_ms(x):
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}"


def rng(xs, f=fmt_ms):
    return f"{f(med(xs))} ({f(min(xs))}–{f(max(xs))})"


def main(out):
    machine = {}
    with open(f"{out}/machine.txt", encoding="utf-8") as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            machine[k] = v

    # data[(tool, kt, mode, run)][step] = dict(wall_ns, rss_kb, calls, keygen)
    data = collections.defaultdict(dict)
    keytypes = []
    with open(f"{out}/results.tsv", encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            if r["keytype"] not in keytypes:
                keytypes.append(r["keytype"])
            calls, keygen = ([], None)
            if r["spylog"] != "-":
                calls, keygen = parse_spy(r["spylog"])
            data[(r["tool"], r["keytype"], r["mode"], r["run"])][r["step"]] = dict(
                wall=int(r["wall_ns"]) / 1e6, rss=int(r["rss_kb"]),
                calls=calls, keygen=keygen)

    def runs(tool, kt, mode):
        return [v for (t, k, m, _), v in sorted(data.items()) if (t, k, m) == (tool, kt, mode)]

    def row_stats(tool, steps, kt):
        spy = runs(tool, kt, "spy")
        direct = runs(tool, kt, "direct")
        s = {}
        counts = [collections.Counter(c for st in steps for c in r[st]["calls"]) for r in spy]
        s["counts"] = counts
        s["work"] = [sum(v for k, v in c.items() if k not in ENTRY) for c in counts]
        s["entry"] = [sum(v for k, v in c.items() if k in ENTRY) for c in counts]
        s["wall"] = [sum(r[st]["wall"] for st in steps) for r in direct]
        s["wall_spy"] = [sum(r[st]["wall"] for st in steps) for r in spy]
        s["rss"] = [max(r[st]["rss"] for st in steps) for r in direct]
        kg = [[r[st]["keygen"] for st in steps if r[st]["keygen"] is not None] for r in spy]
        s["keygen"] = [x[0] for x in kg if x]
        s["rest"] = [w - x[0] for w, x in zip(s["wall_spy"], kg) if x]
        s["n"] = (len(spy), len(direct))
        return s

    def calls_cell(xs):
        lo, hi = min(xs), max(xs)
        return f"{lo}" if lo == hi else f"{med(xs):g} ({lo}–{hi})"

    p = print
    p(f"Reproduce: `bash bench/bench_start.sh` (from the repository root; "
      f"`BENCH_RUNS`, `BENCH_KEY_TYPES`, `BENCH_BUILD_DIR` optional).")
    p()
    p("### Machine")
    p()
    p(f"- {machine.get('nproc')} CPUs ({machine.get('cpu')}), {machine.get('ram')} RAM, "
      f"Debian {machine.get('debian')}, kernel {machine.get('kernel')}")
    pk = ", ".join(f"{k[4:]} {v}" for k, v in machine.items() if k.startswith("pkg_"))
    p(f"- packages: {pk}")
    p(f"- rgs-enroll at commit {machine.get('rgs_commit')} "
      f"({machine.get('rgs_dirty')} tracked files modified in the work tree at the time); "
      f"{machine.get('build_note')}")
    p(f"- run {machine.get('date')}, {machine.get('runs')} runs per row and mode, "
      f"a fresh SoftHSM2 token for every run; load average (1, 5, 15 min) "
      f"{machine.get('load')}")
    p()
    p("### Results")
    p()
    p("Calls: PKCS#11 functions logged by `pkcs11-spy.so`, without the entry-point lookup "
      "(`C_GetFunctionList`, or `C_GetInterface` for pkcs11-tool), which is given apart. "
      "Wall time and peak RSS: runs straight against `libsofthsm2.so` (no spy), "
      "summed (time) or maximum (RSS) over the processes of the row; "
      "median (min–max). Keygen: duration of `C_GenerateKeyPair` read from the spy's "
      "time stamps (ms resolution); \"rest\": wall time of the spy runs minus keygen, "
      "i.e. everything but the key generation (includes the spy's logging).")
    p()
    for kt in keytypes:
        p(f"#### {kt}")
        p()
        p("| tool | PKCS#11 calls | + entry lookups | wall ms, median (min–max) | "
          "keygen ms, median (min–max) | rest ms, median | peak RSS KiB, median (max) |")
        p("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for label, tool, steps in ROWS:
            s = row_stats(tool, steps, kt)
            if not s["counts"]:
                continue
            rss = f"{med(s['rss']):.0f} ({max(s['rss'])}) = {max(s['rss']) / 1024:.1f} MiB"
            p(f"| {label} | {calls_cell(s['work'])} | {calls_cell(s['entry'])} | "
              f"{rng(s['wall'])} | {rng(s['keygen']) if s['keygen'] else '–'} | "
              f"{fmt_ms(med(s['rest'])) if s['rest'] else '–'} | {rss} |")
        p()

    # per-step detail of the anchors
    p("#### Per process, rsa:2048 (calls excluding entry lookup; wall ms median, direct)")
    p()
    kt0 = "rsa:2048" if "rsa:2048" in keytypes else keytypes[0]
    p("| tool | process | calls | wall ms | peak RSS KiB |")
    p("| --- | --- | ---: | ---: | ---: |")
    for tool, steps in (("rgs-enroll", ("start",)),
                        ("opensc", ("check-L", "check-M", "keygen", "csr")),
                        ("gnutls", ("check-tokens", "check-mechs", "keygen", "csr"))):
        spy, direct = runs(tool, kt0, "spy"), runs(tool, kt0, "direct")
        for st in steps:
            c = [sum(1 for x in r[st]["calls"] if x not in ENTRY) for r in spy]
            p(f"| {tool} | {st} | {calls_cell(c)} | {fmt_ms(med([r[st]['wall'] for r in direct]))} | "
              f"{med([r[st]['rss'] for r in direct]):.0f} |")
    p()

    # per-function breakdown
    p("### Per-function breakdown")
    p()
    p("`rgs-enroll start`, per key type (calls per run; identical in every run unless a "
      "range is shown):")
    p()
    per_kt = {kt: row_stats("rgs-enroll", ("start",), kt)["counts"] for kt in keytypes}
    order = []
    for kt in keytypes:
        for r in (runs("rgs-enroll", kt, "spy")[:1]):
            for c in r["start"]["calls"]:
                if c not in order:
                    order.append(c)

    def cell(counts, fn):
        xs = [c.get(fn, 0) for c in counts]
        return calls_cell(xs) if xs else "–"

    p("| function | " + " | ".join(keytypes) + " |")
    p("| --- |" + " ---: |" * len(keytypes))
    for fn in order:
        p(f"| {fn} | " + " | ".join(cell(per_kt[kt], fn) for kt in keytypes) + " |")
    p("| **total** | " + " | ".join(calls_cell([sum(c.values()) for c in per_kt[kt]])
                                    for kt in keytypes) + " |")
    p()
    p(f"All tools, {kt0} (calls per run, median):")
    p()
    allc = [row_stats(tool, steps, kt0)["counts"] for _, tool, steps in ROWS]
    fns = list(order)
    for cs in allc:
        for c in cs:
            for fn in sorted(c):
                if fn not in fns:
                    fns.append(fn)
    p("| function | " + " | ".join(SHORT) + " |")
    p("| --- |" + " ---: |" * len(SHORT))
    for fn in fns:
        p(f"| {fn} | " + " | ".join(f"{med([c.get(fn, 0) for c in cs]):g}" for cs in allc) + " |")
    p("| **total** | " + " | ".join(f"{med([sum(c.values()) for c in cs]):g}" for cs in allc) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
