#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""bench_gtk.py - the window rgs-enroll-gtk measured from outside, through
its accessibility tree (AT-SPI), under Xvfb and a D-Bus session (run by
bench_gtk.sh, which builds and sets the environment):

  bench_gtk.py BUILD OUT RUNS IDLE_S

a. start: process start -> the frame in the accessibility tree with its first
   page's content (the token page's sentence), then -> "Key found"; floor:
   the PIN dialog alone (pin_probe: GTK 4 + libadwaita, one dialog);
b. a token appearing: the window started with no token, the token made
   (softhsm2-util beforehand, moved into the token directory with one
   rename), -> "Key found" shown, whether the window finds it by itself or
   after "Look again" is pressed (then the press follows the rename at once);
c. the main loop while `start` makes an RSA 3072 key pair: a D-Bus round trip
   the GTK main loop serves (the frame's extents) every 5 ms, the longest
   answer and p99; idle baseline on the same page before; keygen duration
   from pkcs11-spy's log;
d. CPU while waiting for a token: the window and its children, then
   `rgs-enroll watch --once` waiting, over IDLE_S seconds each.
Prints Markdown; raw figures in OUT/results.json.
"""
import datetime
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "gtk"))
sys.path.insert(0, HERE)
from rgsg_person import setup  # noqa: E402
import pyatspi  # noqa: E402
from summarize import CALL_RE, TS_RE  # noqa: E402

BUILD, OUT, RUNS, IDLE_S = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
ROOT = os.path.dirname(HERE)
CLI = os.path.join(BUILD, "cli", "rgs-enroll")
WINDOW = os.path.join(BUILD, "gtk", "rgs-enroll-gtk")
PROBE = os.path.join(BUILD, "tests", "gtk", "pin_probe")
SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so"
SPY = "/usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so"
POLICY = os.path.join(ROOT, "data", "policy", "demo-softhsm.conf")
TIMEOUT = 60.0
_ = setup("en", OUT)
INTRO = _("Plug in the USB key (or insert the card) that will hold your RGS** certificate.")
FOUND = _("Key found: \"%s\" (%s).").split("\"")[0]
NO_KEY = _("No key found. Plug in your key, then press Look again.")


def log(msg):
    print(">> " + msg, file=sys.stderr, flush=True)


# ---- the environment of one run ------------------------------------------

def softhsm_conf(path, tokdir):
    with open(path, "w") as f:
        f.write("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n" % tokdir)


def init_token(conf):
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "bench", "--pin", "123456",
                    "--so-pin", "12345678"], env=dict(os.environ, SOFTHSM2_CONF=conf),
                   check=True, stdout=subprocess.DEVNULL)


def run_env(name, token=True, spy=False):
    """A fresh directory: SoftHSM's token store (a token in it, or none and
    one made in staging/), HOME and the order store; returns (dir, env)."""
    d = os.path.join(OUT, "runs", name)
    shutil.rmtree(d, ignore_errors=True)
    for sub in ("tokens", "staging", "home", "run"):
        os.makedirs(os.path.join(d, sub), mode=0o700)
    softhsm_conf(os.path.join(d, "softhsm2.conf"), os.path.join(d, "tokens"))
    softhsm_conf(os.path.join(d, "staging.conf"), os.path.join(d, "staging"))
    init_token(os.path.join(d, "softhsm2.conf" if token else "staging.conf"))
    env = dict(os.environ, SOFTHSM2_CONF=os.path.join(d, "softhsm2.conf"),
               HOME=os.path.join(d, "home"), XDG_DATA_HOME=os.path.join(d, "home", "data"),
               RGS_ENROLL_POLICY=POLICY, RGS_ENROLL_MODULE=SPY if spy else SOFTHSM,
               RGS_ENROLL_GTK_CLI=CLI, GSK_RENDERER="cairo", LANGUAGE="en", LC_ALL="C.UTF-8",
               XDG_RUNTIME_DIR=os.path.join(d, "run"))
    if spy:
        env.update(PKCS11SPY=SOFTHSM, PKCS11SPY_OUTPUT=os.path.join(d, "spy.log"))
    return d, env


def plug(d):
    """The token made beforehand appears at once: one rename(2)."""
    name = os.listdir(os.path.join(d, "staging"))[0]
    t = time.monotonic()
    os.rename(os.path.join(d, "staging", name), os.path.join(d, "tokens", name))
    return t


# ---- the accessibility tree, read cheaply --------------------------------

def app_of(pid):
    try:
        for a in pyatspi.Registry.getDesktop(0):
            if a is not None and a.get_process_id() == pid:
                return a
    except Exception:
        pass
    return None


def frame_of(pid):
    a = app_of(pid)
    try:
        return a[0] if a is not None and a.childCount > 0 else None
    except Exception:
        return None


def visible(o):
    try:
        return o.getState().contains(pyatspi.STATE_VISIBLE)
    except Exception:
        return False


def find_visible(o, pred, depth=0):
    """pred on the visible part of the tree only (the pages behind the
    current one are hidden): a few objects, a few milliseconds."""
    try:
        if pred(o):
            return o
        kids = list(o) if depth < 30 else []
    except Exception:
        return None
    for c in kids:
        if c is not None and visible(c):
            r = find_visible(c, pred, depth + 1)
            if r is not None:
                return r
    return None


def poll(fn, what, timeout=TIMEOUT, step=0.002):
    """fn() until it gives something; returns (it, time found, time of the
    last miss): the event lies between the two."""
    end = time.monotonic() + timeout
    last = time.monotonic()
    while time.monotonic() < end:
        r = fn()
        now = time.monotonic()
        if r:
            return r, now, last
        last = now
        time.sleep(step)
    raise SystemExit("bench_gtk: timed out waiting for " + what)


def label(text, prefix=False):
    return lambda o: o.getRoleName() == "label" and (
        (o.name or "").startswith(text) if prefix else o.name == text)


def in_app(pid, pred, fresh=False):
    def look():
        a = app_of(pid)
        if a is None:
            return None
        if fresh:
            a.clearCache()
        return find_visible(a, pred)
    return look


def stop(proc):
    if proc.poll() is None:
        proc.kill()
    proc.wait()


# ---- a. start ------------------------------------------------------------

def start_once(i, argv, first, then=None):
    d, env = run_env("start-%s-%d" % (os.path.basename(argv[0]), i))
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stderr=subprocess.DEVNULL)
    try:
        # The frame (two calls a look, fine-grained), then its content (a
        # walk of the visible part: the resolution reported).
        _f, tf, _m = poll(lambda: frame_of(proc.pid), "the frame")
        _o, t1, miss = poll(in_app(proc.pid, first), "the first page")
        r = {"frame_ms": (tf - t0) * 1000, "shown_ms": (t1 - t0) * 1000,
             "resolution_ms": (t1 - miss) * 1000}
        if then is not None:
            _o, t2, _m = poll(in_app(proc.pid, then, fresh=True), "Key found")
            r["key_found_ms"] = (t2 - t0) * 1000
    finally:
        stop(proc)
    return r


def bench_start():
    win, floor = [], []
    for i in range(RUNS):
        log("a. start %d/%d" % (i + 1, RUNS))
        win.append(start_once(i, [WINDOW], label(INTRO), label(FOUND, prefix=True)))
        if os.access(PROBE, os.X_OK):
            floor.append(start_once(i, [PROBE, "ok", "0", "bench", "tokens"],
                                    label(_("Type the PIN of the key \"%s\".") % "bench")))
    return {"window": win, "floor_dialog": floor}


# ---- b. a token appearing ------------------------------------------------

def token_once(i, press_at_once):
    d, env = run_env("token-%d" % i, token=False)
    proc = subprocess.Popen([WINDOW], env=env, stderr=subprocess.DEVNULL)
    try:
        poll(in_app(proc.pid, label(INTRO)), "the token page")
        # The page settled: "No key found" (the window does not wait by
        # itself) or its own waiting state; then a random phase of any poll.
        no_key = poll(in_app(proc.pid, label(NO_KEY), fresh=True), "the page waiting", timeout=5)[0] \
            if press_at_once else None
        # Found beforehand: the press follows the token at once.
        look_again = poll(lambda: find_look_again(proc.pid), "Look again")[0] if press_at_once else None
        time.sleep(random.uniform(0.3, 1.5))
        t0 = plug(d)
        way = "by itself"
        if press_at_once:
            mouse_click(look_again)
            way = "Look again pressed"
        t_press = time.monotonic()
        try:
            _o, t1, miss = poll(status_found(proc.pid, no_key), "Key found",
                                timeout=TIMEOUT if press_at_once else 5)
        except SystemExit:
            if no_key is None and find_look_again(proc.pid) is None:
                raise
            return None
    finally:
        stop(proc)
    return {"way": way, "token_to_found_ms": (t1 - t0) * 1000,
            "press_to_found_ms": (t1 - t_press) * 1000, "resolution_ms": (t1 - miss) * 1000}


def status_found(pid, status):
    """The page's status label read again (one call, fine-grained) when
    known, else the visible tree searched."""
    if status is None:
        return in_app(pid, label(FOUND, prefix=True), fresh=True)

    def look():
        try:
            status.clearCache()
            return (status.name or "").startswith(FOUND)
        except Exception:
            return False
    return look


def find_look_again(pid):
    return in_app(pid, lambda o: o.getRoleName() == "push button" and o.name == _("Look again")
                  and o.getState().contains(pyatspi.STATE_SENSITIVE), fresh=True)()


def mouse_click(o):
    """A click with the pointer, as a person does: an AT-SPI action or a key
    press would add GTK's 250 ms pressed-button delay (gtkbutton.c,
    ACTIVATE_TIMEOUT). The window sits at the screen's origin (no window
    manager under Xvfb places it)."""
    x, y, w, h = o.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
    pyatspi.Registry.generateMouseEvent(x + w // 2, y + h // 2, "b1c")


def bench_token():
    runs, press = [], False
    for i in range(RUNS):
        log("b. token appearing %d/%d" % (i + 1, RUNS))
        r = token_once(i, press)
        if r is None:
            # Not found by itself within 5 s: the window does not wait for a
            # token on its own yet; every run from now on presses Look again.
            log("   not found by itself within 5 s: Look again from now on")
            press = True
            r = token_once(i, press)
        runs.append(r)
    return runs


# ---- c. the main loop during an RSA 3072 key generation ------------------

def record_order(env):
    subprocess.run([CLI, "--json", "order", "new", "--partner", "CMA", "--validity", "3",
                    "--holder-first-name", "Jean", "--holder-last-name", "Dupont", "--email",
                    "jean@example.fr", "--company", "BS AUTO", "--siren", "732829320",
                    "--payment", "carte", "--accept-cgu"], env=env, check=True,
                   stdout=subprocess.DEVNULL)


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            kids = [int(k) for k in f.read().split()]
    except OSError:
        return []
    out = []
    for k in kids:
        try:
            with open("/proc/%d/cmdline" % k, "rb") as f:
                out.append((k, f.read().split(b"\0")))
        except OSError:
            pass
    return out


def start_running(pid):
    return any(b"start" in argv for _k, argv in children(pid))


def round_trips(frame, control, until, period=0.005):
    """A D-Bus call the window's main loop answers (the frame's extents),
    every period, until until() says stop, and the same call to an idle GTK
    application at the same moment (control: what the machine's load alone
    does to the figure). One (wall clock when asked, window ms, control ms)
    a sample."""
    comps = (frame.queryComponent(), control.queryComponent())
    out = []
    nxt = time.monotonic()
    while not until():
        asked = time.time()
        ms = []
        for c in comps:
            t = time.monotonic()
            c.getExtents(pyatspi.WINDOW_COORDS)
            ms.append((time.monotonic() - t) * 1000)
        out.append((asked, ms[0], ms[1]))
        nxt += period
        time.sleep(max(0.0, nxt - time.monotonic()))
    return out


def keygen_span(spy_log):
    """C_GenerateKeyPair's entry and return, wall clock (the spy's time
    stamps, ms resolution, local time), or None."""
    with open(spy_log, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    stamps = []
    for i, line in enumerate(lines[:-1]):
        m = CALL_RE.match(line)
        if m and TS_RE.match(lines[i + 1]):
            stamps.append((m.group(1), datetime.datetime.strptime(
                lines[i + 1], "%Y-%m-%d %H:%M:%S.%f").timestamp()))
    for i, (name, t) in enumerate(stamps[:-1]):
        if name == "C_GenerateKeyPair":
            return t, stamps[i + 1][1]
    return None


def click(pid, name):
    b, _t, _m = poll(in_app(pid, lambda o: o.getRoleName() == "push button" and o.name == name
                            and o.getState().contains(pyatspi.STATE_SENSITIVE), fresh=True), name)
    b.queryAction().doAction(0)


def to_key_page(pid):
    click(pid, _("Check this key"))
    poll(in_app(pid, label(_("A demonstration key: accepted for tests only, never for a real certificate.")),
                fresh=True), "the check")
    click(pid, _("Continue"))
    radio = poll(in_app(pid, lambda o: o.getRoleName() in ("radio button", "check box")
                        and "Jean" in (o.name or ""), fresh=True), "the order")[0]
    choose(radio)
    click(pid, _("Continue"))


def checked(o):
    o.clearCache()
    return o.getState().contains(pyatspi.STATE_CHECKED)


def choose(radio):
    """The order's radio button clicked with the pointer (GTK 4.8 gives it
    no AT-SPI action); clicked again, as a person would, when a click
    landed while the page was still being laid out."""
    for _attempt in range(3):
        mouse_click(radio)
        try:
            poll(lambda: checked(radio), "the order chosen", timeout=3)
            return
        except SystemExit:
            continue
    raise SystemExit("bench_gtk: the order could not be chosen")


def keygen_once(i):
    d, env = run_env("keygen-%d" % i, spy=True)
    record_order(env)
    proc = subprocess.Popen([WINDOW, "--out-dir", d], env=env, stderr=subprocess.DEVNULL)
    ctl = None
    try:
        frame = poll(lambda: frame_of(proc.pid), "the frame")[0]
        poll(in_app(proc.pid, label(FOUND, prefix=True), fresh=True), "Key found")
        to_key_page(proc.pid)
        poll(in_app(proc.pid, lambda o: o.getRoleName() == "push button"
                    and o.name == _("Make the key pair"), fresh=True), "the key page")
        # Started now: its dialog would be in the way of the clicks above.
        ctl = subprocess.Popen([PROBE, "ok", "0", "control", "tokens"], env=env,
                               stderr=subprocess.DEVNULL)
        control = poll(lambda: frame_of(ctl.pid), "the control's dialog")[0]
        end = time.monotonic() + 2.0
        idle = round_trips(frame, control, lambda: time.monotonic() > end)
        click(proc.pid, _("Make the key pair"))
        entry = poll(in_app(proc.pid, lambda o: o.getRoleName() == "password text", fresh=True),
                     "the PIN entry")[0]
        entry.queryEditableText().setTextContents("123456")
        cont = poll(in_app(proc.pid, lambda o: o.getRoleName() == "push button"
                           and o.name in (_("Continue"), _("Continue") + " " + _("Continue"))
                           and o.getState().contains(pyatspi.STATE_SENSITIVE), fresh=True),
                    "Continue in the PIN dialog")[0]
        seen = [False]

        def finished():
            running = start_running(proc.pid)
            seen[0] = seen[0] or running
            return seen[0] and not running
        t0 = time.time()
        own0 = threads_cpu_ns(proc.pid)
        cont.queryAction().doAction(0)
        busy = round_trips(frame, control, finished)
        child_ms = (time.time() - t0) * 1000
        own_ms = (threads_cpu_ns(proc.pid) - own0) / 1e6
        poll(in_app(proc.pid, label(_("Your request is saved in %s").split("%s")[0], prefix=True),
                    fresh=True), "the request saved")
    finally:
        stop(proc)
        if ctl is not None:
            stop(ctl)
    span = keygen_span(os.path.join(d, "spy.log"))
    return {"idle": idle, "busy": busy, "continue_at": t0, "keygen_span": span,
            "start_child_ms": child_ms, "window_cpu_ms": own_ms}


def bench_keygen():
    runs = []
    for i in range(RUNS // 2 + 2):
        log("c. keygen %d" % (i + 1))
        runs.append(keygen_once(i))
    return runs


# ---- d. CPU while waiting ------------------------------------------------

def cpu_ticks_ms(pid):
    """utime + stime + cutime + cstime (clock ticks: every thread, dead ones
    included, and every child reaped) of pid and of its live descendants, ms."""
    hz = os.sysconf("SC_CLK_TCK")
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    total = sum(int(x) for x in fields[11:15]) * 1000.0 / hz
    return total + sum(cpu_ticks_ms(k) for k, _argv in children(pid))


def thread_switches(pid):
    """Context switches (each a wakeup or a preemption) of each live thread
    of pid: {tid: count}."""
    out = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for t in tids:
        try:
            with open("/proc/%d/task/%s/status" % (pid, t)) as f:
                out[t] = sum(int(line.split()[1]) for line in f if "ctxt_switches" in line)
        except OSError:
            continue
    return out


def threads_cpu_ns(pid):
    """CPU time of the live threads of pid (schedstat, ns)."""
    ns = 0
    for t in thread_switches(pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                ns += int(f.read().split()[0])
        except OSError:
            continue
    return ns


def idle_cpu(proc, settle):
    time.sleep(settle)
    c0, w0, t0 = cpu_ticks_ms(proc.pid), thread_switches(proc.pid), time.monotonic()
    kids = set()
    end = t0 + IDLE_S
    while time.monotonic() < end:
        kids.update(k for k, _a in children(proc.pid))
        time.sleep(0.05)
    c1, w1, t1 = cpu_ticks_ms(proc.pid), thread_switches(proc.pid), time.monotonic()
    # Threads alive at both reads (a GLib worker may exit meanwhile).
    switches = sum(w1[t] - w0[t] for t in w0 if t in w1)
    return {"cpu_ms": c1 - c0, "seconds": t1 - t0, "percent": (c1 - c0) / ((t1 - t0) * 10),
            "wakeups_per_s": switches / (t1 - t0), "children_seen": len(kids)}


def bench_idle():
    d, env = run_env("idle-window", token=False)
    proc = subprocess.Popen([WINDOW], env=env, stderr=subprocess.DEVNULL)
    try:
        poll(in_app(proc.pid, label(INTRO)), "the token page")
        log("d. the window waiting, %.0f s" % IDLE_S)
        win = idle_cpu(proc, 2.0)
    finally:
        stop(proc)
    d, env = run_env("idle-watch", token=False)
    record_order(env)
    proc = subprocess.Popen([CLI, "watch", "--once", "--no-notify", "--no-udev", "--order", "1",
                             "--timeout", str(int(IDLE_S + 30))], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        log("d. rgs-enroll watch waiting, %.0f s" % IDLE_S)
        watch = idle_cpu(proc, 1.0)
        if proc.poll() is not None:
            raise SystemExit("bench_gtk: the watcher stopped while waiting (status %d)" % proc.returncode)
    finally:
        stop(proc)
    return {"window": win, "watch": watch}


# ---- summary -------------------------------------------------------------

def med(xs):
    return statistics.median(xs) if xs else float("nan")


def pct(xs, p):
    s = sorted(xs)
    return s[min(len(s) - 1, int(len(s) * p / 100.0))] if s else float("nan")


def row(name, xs):
    return "| %s | %d | %.0f | %.0f | %.0f |" % (name, len(xs), med(xs), min(xs), max(xs))


def in_keygen(r):
    span = r["keygen_span"]
    return [x for x in r["busy"] if span and span[0] <= x[0] <= span[1]]


def run_line(r):
    span, worst = r["keygen_span"], max(r["busy"], key=lambda x: x[1])
    return ("C_GenerateKeyPair %.0f ms, Continue -> `start` exited %.0f ms (the window's own CPU "
            "meanwhile %.0f ms), its longest answer %.1f ms asked at +%.0f ms (control then: %.1f ms), "
            "%d samples"
            % ((span[1] - span[0]) * 1000 if span else float("nan"), r["start_child_ms"],
               r["window_cpu_ms"], worst[1], (worst[0] - r["continue_at"]) * 1000, worst[2],
               len(r["busy"])))


def summary(res):
    p = print
    a, b, c, d = res["start"], res["token"], res["keygen"], res["idle"]
    p("#### a. Start (ms from process start; median of %d)\n" % len(a["window"]))
    p("| what | runs | median | min | max |\n| --- | ---: | ---: | ---: | ---: |")
    p(row("window: its frame in the accessibility tree", [r["frame_ms"] for r in a["window"]]))
    p(row("window: the frame with the token page's sentence", [r["shown_ms"] for r in a["window"]]))
    p(row("window: \"Key found\" (token present at start)", [r["key_found_ms"] for r in a["window"]]))
    if a["floor_dialog"]:
        p(row("floor: the PIN dialog alone (pin_probe), its frame", [r["frame_ms"] for r in a["floor_dialog"]]))
        p(row("floor: the PIN dialog alone (pin_probe), with its text", [r["shown_ms"] for r in a["floor_dialog"]]))
    p("\npoll resolution (time since the previous miss), median: %.1f ms\n"
      % med([r["resolution_ms"] for r in a["window"]]))
    p("#### b. A token appearing -> \"Key found\" (ms; way: %s)\n" % b[0]["way"])
    p("| what | runs | median | min | max |\n| --- | ---: | ---: | ---: | ---: |")
    p(row("token made (rename) -> \"Key found\"", [r["token_to_found_ms"] for r in b]))
    if b[0]["way"] != "by itself":
        p(row("\"Look again\" pressed -> \"Key found\"", [r["press_to_found_ms"] for r in b]))
    p("\n#### c. Main loop during `start` (RSA 3072), D-Bus round trip every 5 ms\n")
    p("| phase | app | samples | median ms | p99 ms | max ms |\n| --- | --- | ---: | ---: | ---: | ---: |")
    for phase, pick in (("key page, idle (2 s before)", lambda r: r["idle"]),
                        ("Continue -> `start` exited", lambda r: r["busy"]),
                        ("inside C_GenerateKeyPair", in_keygen)):
        for col, who in ((1, "the window"), (2, "control: an idle GTK dialog")):
            xs = [x[col] for r in c for x in pick(r)]
            p("| %s | %s | %d | %.2f | %.2f | %.2f |" % (phase, who, len(xs), med(xs), pct(xs, 99),
                                                         max(xs) if xs else float("nan")))
    p("\nper run: " + "; ".join(run_line(r) for r in c))
    p("\n#### d. CPU while waiting for a token (%.0f s, no token)\n" % IDLE_S)
    p("| process | CPU ms (10 ms ticks) | % of one core | context switches / s | child processes seen |\n| --- | ---: | ---: | ---: | ---: |")
    for k, name in (("window", "rgs-enroll-gtk on the token page (and its children)"),
                    ("watch", "`rgs-enroll watch --once` (SoftHSM, default poll cap)")):
        p("| %s | %.0f | %.2f | %.1f | %d |" % (name, d[k]["cpu_ms"], d[k]["percent"], d[k]["wakeups_per_s"],
                                            d[k]["children_seen"]))


def main():
    res = {"start": bench_start(), "token": bench_token(), "keygen": bench_keygen(),
           "idle": bench_idle()}
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    summary(res)


if __name__ == "__main__":
    main()
