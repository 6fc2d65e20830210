#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""gtk_pinpad.py - the PIN dialog for a reader with a keypad, used as a
person uses it, through the accessibility tree (AT-SPI) under Xvfb.

Run by test_gtk_pinpad (cmocka) as:
  gtk_pinpad.py LANG PROBE WORKDIR SHOTDIR CLI
PROBE is pin_probe (the dialog as a page uses it, then `rgs-enroll --json
check --delivered` run through rgsg_run with what the dialog handed on);
CLI the real rgs-enroll. The fault module makes SoftHSM look like a pinpad
reader (RGS_FAULT_TOKEN_FLAGS_SET=CKF_PROTECTED_AUTHENTICATION_PATH); the
command is reached through a wrapper that records its argv and whether a
PIN descriptor (fd 3) was open. Three runs: a PIN typed (the control: the
wrapper does see --pin-fd 3 then), the pinpad with every try left, the
pinpad on the last try (Continue only once the box is ticked). Every wait is
for an event (an object, a state, the probe's exit), bounded.
"""
import json
import os
import subprocess
import sys

from rgsg_person import (dialog_click_continue, fail, find, logins, named, sensitive, setup,
                         shot, showing, toggle, wait_for, TIMEOUT)

LANG, PROBE, WORK, SHOTS, CLI = sys.argv[1:6]
_ = setup(LANG, SHOTS)
ARGV_LOG = os.path.join(WORK, "cli-argv")
WRAPPER = os.path.join(WORK, "cli-wrapper.sh")


def make_wrapper():
    """The command as the probe starts it: argv and fd 3 recorded, then the
    real rgs-enroll with everything unchanged."""
    with open(WRAPPER, "w") as f:
        f.write("#!/bin/sh\n"
                "{ printf '%%s\\n' \"$*\"; if [ -e /proc/$$/fd/3 ]; then echo fd3-open; "
                "else echo fd3-closed; fi; } > '%s'\n"
                "exec '%s' \"$@\"\n" % (ARGV_LOG, CLI))
    os.chmod(WRAPPER, 0o755)
    os.environ["RGS_ENROLL_GTK_CLI"] = WRAPPER


def token_state():
    """pin_state and pinpad of the token, as a page reads them (tokens --json):
    token.pinpad, and the flag protected-authentication-path by name."""
    r = subprocess.run([CLI, "--json", "tokens"], capture_output=True, text=True,
                       timeout=TIMEOUT)
    for s in json.loads(r.stdout).get("slots", []):
        t = s.get("token") or {}
        if s.get("token_present") and t.get("pin_state") not in (None, "not-initialized"):
            return (t["pin_state"], t.get("pinpad") is True
                    and "protected-authentication-path" in t.get("flag_names", []))
    fail("no token in %r" % r.stdout)


def run_probe(typed, name):
    state, pinpad = token_state()
    if not pinpad:
        fail("the fault module did not make a pinpad reader")
    use_pad = "0" if typed else "1"
    before = logins()
    proc = subprocess.Popen([PROBE, state, use_pad, "holder", "check", "--delivered"],
                            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        wait_for(lambda o: o.getRoleName() in ("dialog", "frame", "alert")
                 and o.name == _("PIN of the key"), "the PIN dialog")
        dialog_checks(typed, state)
        shot(name)
        cont = dialog_click_continue()
        if state == "final-try":
            if sensitive(cont):
                fail("the last try can be spent without the confirmation")
            toggle(wait_for(named("check box", _("I understand: this is the last try, a wrong PIN locks the key.")),
                            "the last-try confirmation"))
            wait_for(lambda o: o is cont and sensitive(o), "Continue enabled once confirmed")
            shot(name + "-confirmed")
        else:
            wait_for(lambda o: o is cont and sensitive(o), "Continue enabled")
        cont.queryAction().doAction(0)
        out, _err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    print(out.strip(), flush=True)
    with open(ARGV_LOG) as f:
        seen = f.read()
    return out, seen, logins() - before


def dialog_checks(typed, state):
    """What the person reads: the keypad sentence instead of an entry, the
    tries all the same."""
    entry = find(lambda o: o.getRoleName() == "password text" and showing(o))
    if typed:
        if entry is None:
            fail("no PIN entry for a PIN typed on the computer")
        entry.queryEditableText().setTextContents("123456")
        return
    if entry is not None:
        fail("a PIN entry is shown for a reader with a keypad")
    wait_for(named("label", _("Type your PIN on the reader's keypad for the key \"%s\".") % "holder"),
             "the keypad sentence")
    wait_for(named("label", _("Press Continue, then type your PIN on the reader's keypad. It is never typed on the computer.")),
             "what to do on the keypad")
    tries = {"ok": _("All tries are left."),
             "final-try": _("Last try: if this PIN is wrong, the key locks and only the unblocking code (or the CA) can open it again.")}
    wait_for(named("label", tries[state]), "the tries counter")
    if state == "ok" and not sensitive(dialog_click_continue()):
        fail("Continue waits for a PIN the keypad will take")


def main():
    make_wrapper()
    # The control: a PIN typed goes on fd 3, and the wrapper sees it.
    out, seen, n = run_probe(True, "pinpad-control-typed")
    if "dialog: typed final_try=0" not in out or "--pin-fd 3" not in seen or "fd3-open" not in seen:
        fail("a typed PIN did not reach the command on fd 3: %r %r" % (out, seen))
    print("typed: --pin-fd 3 and fd 3 open", flush=True)
    # The keypad: no PIN from the window, one C_Login with none (SoftHSM
    # refuses a NULL PIN: module-failed, where the right PIN would log in).
    out, seen, n = run_probe(False, "pinpad")
    if "dialog: pinpad final_try=0" not in out or "--pin-fd" in seen or "fd3-closed" not in seen:
        fail("the keypad run sent a PIN: %r %r" % (out, seen))
    if "code module-failed" not in out or n != 1:
        fail("expected one C_Login without a PIN, SoftHSM refusing it: %r, %d C_Login" % (out, n))
    print("pinpad: no --pin-fd, fd 3 closed, one C_Login without a PIN", flush=True)
    with open(os.environ["RGS_FAULT_PIN_STATE"], "w") as f:
        f.write("1\n")
    out, seen, n = run_probe(False, "pinpad-final-try")
    if "dialog: pinpad final_try=1" not in out or "--final-try" not in seen or "--pin-fd" in seen:
        fail("the keypad's last try: %r %r" % (out, seen))
    print("pinpad last try: confirmed, --final-try, no --pin-fd", flush=True)
    print("pinpad %s: passed" % LANG, flush=True)


main()
