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
import sys
import time

from rgsg_person import (holder_window, close_window, fail, key_page_after_check, name_has, notified, setup,
                         shot, wait_for, TIMEOUT)

SCENARIO, LANG, WINDOW, WORK, SHOTS = sys.argv[1:6]
_ = setup(LANG, SHOTS)
LOG = os.path.join(WORK, "notifications")


def the_page():
    if SCENARIO == "key":
        # The key checked first, then the key page of that very order.
        key_page_after_check()
        shot("watch-key")
        print("window opened at the key page of order 1", flush=True)
    else:
        wait_for(name_has("label", _("Order %lld: %s").split("%lld")[0] + "1"), "the hub of order 1")
        shot("watch-hub")
        print("window opened at the hub of order 1", flush=True)


def main():
    start = time.monotonic()
    server = watcher = None
    try:
        server, watcher, line = notified(LOG, (WINDOW, "1" if SCENARIO == "key" else None),
                                         "the watcher's notification")
        # In the person's language: the window to open for a PIN, the
        # token plugged in and its order's next step otherwise.
        want = _("Token %s: the next step needs the token's PIN. Open the window to go on.").split("%s")[1] \
            if SCENARIO == "key" \
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
