#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""watch_person.py - the key plugged in, the watcher's notification clicked,
the window open at the order's step (issue 14).

Run by test_gtk_watch (cmocka) as:
  watch_person.py SCENARIO LANG WINDOW WORKDIR SHOTDIR
SCENARIO: key (order 1 awaits its key pair: the watcher, with no way to ask
the PIN, offers the window, which shows the key page of order 1) or hub
(order 1's request is made: the notification's window shows its hub).
A notification server of the test (RGS_FAKE_NOTIFYD) runs on this D-Bus
session: it logs each Notify with its actions, and SIGUSR1 makes it emit
ActionInvoked "open", as a click does. Every wait is for an event: a line
in its log, an accessible object, a process exit.
"""
import json
import os
import signal
import subprocess
import sys
import time

from rgsg_person import (holder_window, app, click, fail, name_has, named, setup, shot, wait_for, TIMEOUT)

SCENARIO, LANG, WINDOW, WORK, SHOTS = sys.argv[1:6]
_ = setup(LANG, SHOTS)
LOG = os.path.join(WORK, "notifications")


def wait_line(pred, what):
    """The first line of the server's log for which pred holds, waited for
    (the log grows as Notify calls come), bounded by TIMEOUT."""
    end = time.monotonic() + TIMEOUT
    while time.monotonic() < end:
        try:
            with open(LOG) as f:
                for line in f:
                    if pred(line.rstrip("\n")):
                        return line.rstrip("\n")
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    fail("timed out waiting for %s in %s" % (what, LOG))


def start_watcher():
    """The watcher as the user unit runs it: no terminal (a session of its
    own), no askpass; the window program named."""
    env = dict(os.environ)
    env.pop("RGS_ENROLL_ASKPASS", None)
    env.pop("SSH_ASKPASS", None)
    args = [os.environ["RGS_ENROLL_BIN"], "--json", "watch", "--once", "--timeout", "60",
            "--no-udev", "--window", WINDOW]
    if SCENARIO == "key":
        args += ["--order", "1"]
    return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            start_new_session=True, env=env)


def the_page():
    if SCENARIO == "key":
        # The key checked first, then the key page of that very order.
        wait_for(named("label", _("A demonstration key: accepted for tests only, never for a real certificate.")),
                 "the check's verdict")
        click(_("Continue"))
        wait_for(named("push button", _("Make the key pair")), "the key page")
        intro = _("The key pair will be made on your key \"%s\" for order %lld, and the request saved as %s.")
        wait_for(name_has("label", intro.split("%lld")[0].split("\"")[0]), "the key page's intro")
        shot("watch-key")
        print("window opened at the key page of order 1", flush=True)
    else:
        wait_for(name_has("label", _("Order %lld: %s").split("%lld")[0] + "1"), "the hub of order 1")
        shot("watch-hub")
        print("window opened at the hub of order 1", flush=True)


def close_window():
    """The person closes the window: its process (AT-SPI names it) ends."""
    a = app()
    pid = a.get_process_id() if a is not None else 0
    if pid <= 0:
        fail("no process for the window")
    os.kill(pid, signal.SIGTERM)


def main():
    start = time.monotonic()
    server = subprocess.Popen([os.environ["RGS_FAKE_NOTIFYD"], LOG])
    watcher = None
    try:
        wait_line(lambda l: l == "ready", "the notification server")
        watcher = start_watcher()
        line = wait_line(lambda l: "|rgs-enroll|" in l, "the watcher's notification")
        fields = line.split("|")
        if len(fields) < 6 or "open," + _("Open the window") not in fields[5] \
                or not fields[5].startswith("default,"):
            fail("the notification carries no \"open\" action: %r" % line)
        # In the person's language: the window to open for a PIN, the
        # token plugged in and its order's next step otherwise.
        want = _("Open the window to go on.") if SCENARIO == "key" \
            else _("Token %s plugged in. %s").split("%s")[0]
        if want not in line:
            fail("the notification does not say %r: %r" % (want, line))
        print("notification with the action \"open\": %s" % line, flush=True)
        server.send_signal(signal.SIGUSR1)
        holder_window("the window opened by the notification")
        the_page()
        close_window()
        out, _err = watcher.communicate(timeout=TIMEOUT)
        doc = json.loads(out)
        if watcher.returncode != 0 or doc.get("window_offered") is not True:
            fail("the watcher ended with %d: %r" % (watcher.returncode, doc))
        print("the watcher reported window_offered, outcome %s, and ended with the window"
              % doc.get("outcome"), flush=True)
    finally:
        for p in (watcher, server):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
    print("%s %s: passed in %.1f s" % (SCENARIO, LANG, time.monotonic() - start), flush=True)


main()
