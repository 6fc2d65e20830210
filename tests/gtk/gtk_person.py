#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""gtk_person.py - drive rgs-enroll-gtk as a person would, through the
accessibility tree (AT-SPI, pyatspi), under Xvfb and a D-Bus session.

Run by test_gtk_window (cmocka) as:
  gtk_person.py SCENARIO LANG WINDOW WORKDIR SHOTDIR
SCENARIO: wrongpin (new order typed in the form, a wrong PIN, then the right
one), finaltry (an order chosen from the list, the last try confirmed),
askpass (WINDOW --askpass PROMPT as the watcher runs it: a PIN, a cancel),
wait (no key at first: the window waits for one by itself) or unplug (the
key pulled out during the key generation, then the retry).
The environment (SoftHSM, fault module, store, policy) comes from the driver.
Every wait is for an event: an accessible object showing up, a state
changing, the window's child exiting; never a fixed sleep.
"""
import json
import os
import select
import subprocess
import sys
import time

from rgsg_person import (holder_window, button, move_tokens, check_request, click, request_saved, type_pin, focused_now, has_name, press, type_keys, wait_focus, dialog_click_continue, fail, find, logins, name_has,
                         named, pin_dialog, sensitive, setup, shot, showing, toggle, type_into,
                         wait_for, walk, TIMEOUT)
import pyatspi  # noqa: E402  (after rgsg_person: it waits for the display)


SCENARIO, LANG, WINDOW, WORK, SHOTS = sys.argv[1:6]
_ = setup(LANG, SHOTS)


def token_and_check():
    wait_for(name_has("label", _("Key found: \"%s\" (%s).").split("\"")[0]), "the key found")
    shot("token")
    click(_("Check this key"))
    wait_for(named("label", _("A demonstration key: accepted for tests only, never for a real certificate.")),
             "the check's verdict")
    # One sentence per criterion, each with its verdict.
    wait_for(named("label", _("The key can make its own key pair, of the size RGS** asks.")),
             "a criterion in plain words")
    wait_for(named("label", _("No, accepted for the demo only")), "a waived verdict")
    shot("check")
    click(_("Continue"))


def new_order():
    wait_for(named("label", _("No order is recorded yet: record the one you placed on the Certigna portal.")),
             "the empty order list")
    shot("orders")
    click(_("Record a new order"))
    fields = {}
    for key, text in (("first", "Jean"), ("last", "Dupont"), ("email", "jean@"),
                      ("company", "Boulangerie Dupont"), ("id", "732829321")):
        label = {"first": _("Holder's first name"), "last": _("Holder's last name"),
                 "email": _("E-mail address"), "company": _("Company name"),
                 "id": _("SIREN or SIRET")}[key]
        fields[key] = wait_for(named("text", label), "entry " + label)
        type_into(fields[key], text)
    # Validation as one types: a wrong check digit and a half-typed e-mail.
    wait_for(named("label", _("This number has a typing error: its last digit does not match. Check it on the registration extract.")),
             "the Luhn message")
    wait_for(named("label", _("This is not an e-mail address (name@example.fr).")), "the e-mail message")
    save = wait_for(named("push button", _("Record the order")), "the record button")
    if sensitive(save):
        fail("the form can be sent with errors")
    shot("form-errors")
    type_into(fields["id"], "732829320")
    type_into(fields["email"], "jean@example.fr")
    toggle(wait_for(named("check box", _("I accepted Certigna's terms of use (CGU) on the portal")),
             "the CGU box"))
    shot("form")
    click(_("Record the order"))


def chosen_order():
    radio = wait_for(name_has("radio button", "Jean"), "the order in the list") \
        if find(name_has("radio button", "Jean")) else wait_for(name_has("check box", "Jean"), "the order in the list")
    shot("orders")
    toggle(radio)
    click(_("Continue"))


def wrong_then_right():
    wait_for(named("push button", _("Make the key pair")), "the key page")
    shot("key")
    click(_("Make the key pair"))
    entry = pin_dialog()
    wait_for(named("label", _("All tries are left.")), "the tries counter in the dialog")
    shot("pin")
    before = logins()
    type_into(entry, "000000")
    cont = dialog_click_continue()
    wait_for(lambda o: o is cont and sensitive(o), "Continue enabled")
    cont.queryAction().doAction(0)
    # The child's answer and the counter read again; nothing retried.
    wait_for(named("push button", _("Type the PIN again")), "the key page after the wrong PIN")
    wait_for(named("label", _("The PIN is wrong: the key refused it and counted one try.")), "the message of error.code pin-incorrect")
    wait_for(named("label", _("Fewer tries are left: a wrong PIN was typed since the last correct one. Type it carefully.")),
             "the lower counter")
    n = logins() - before
    if n != 1:
        fail("a wrong PIN made %d C_Login calls, not 1" % n)
    print("wrong PIN: exactly one C_Login", flush=True)
    shot("wrong-pin")
    click(_("Type the PIN again"))
    entry = pin_dialog()
    wait_for(named("label", _("The PIN is wrong: the key refused it and counted one try.")), "the previous error in the dialog")
    shot("pin-again")
    type_into(entry, "123456")
    dialog_click_continue().queryAction().doAction(0)
    if os.environ.get("RGS_FAULT_PAUSE_FIFO"):
        keygen_progress(os.environ["RGS_FAULT_PAUSE_FIFO"])


def keygen_progress(fifo):
    """The fault module holds C_GenerateKeyPair (RGS_FAULT_KEYGEN_PAUSE): its
    line on the FIFO is the event; while it holds, the elapsed time on the
    key page must move (the child's --progress-fd read by the main loop),
    then the module is let go."""
    fifo_line(fifo)
    prefix = _("Making the key pair… %s — do not unplug the key").split("%s")[0]
    try:
        first = wait_for(name_has("label", prefix), "the key generation's elapsed time").name
        shot("keygen-progress")
        later = wait_for(lambda o: name_has("label", prefix)(o) and o.name != first,
                         "the elapsed time moving").name
        print("keygen progress: %r then %r while the key generation was held" % (first, later),
              flush=True)
    finally:
        # Let the module go on every path: a failed run leaves no child held.
        with open(fifo + ".go", "w") as go:
            go.write("g")


def fifo_line(fifo):
    """The fault module's line: C_GenerateKeyPair held (an event)."""
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if not select.select([fd], [], [], TIMEOUT)[0]:
            fail("key generation never started (no line on %s)" % fifo)
        line = os.read(fd, 200).decode().strip()
    finally:
        os.close(fd)
    if not line.startswith("paused C_GenerateKeyPair"):
        fail("unexpected pause line %r" % line)


def cli_json(*args):
    r = subprocess.run([os.environ["RGS_ENROLL_BIN"], "--json"] + list(args), capture_output=True, text=True)
    return r.returncode, r.stdout


def private_keys():
    r = subprocess.run([os.environ["PKCS11_TOOL"], "--module", os.environ["SOFTHSM2_MODULE"], "--login",
                        "--pin", "123456", "--list-objects", "--type", "privkey"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        fail("pkcs11-tool cannot list the keys: %s" % r.stderr)
    return r.stdout.count("Private Key Object")


def unplugged():
    """The key pulled out while the fault module holds C_GenerateKeyPair:
    the window says so in words and offers to retry; the order and the
    token are as before; plugged in again, the retry makes the request."""
    fifo = os.environ["RGS_FAULT_PAUSE_FIFO"]
    wait_for(named("push button", _("Make the key pair")), "the key page")
    click(_("Make the key pair"))
    type_pin("123456")
    fifo_line(fifo)
    with open(fifo + ".go", "w") as go:
        go.write("r")
    msg = _("The key was unplugged while the key pair was being made. Your order is unchanged and no half-made key pair is kept: whatever the interrupted run left on the key is cleared when you try again. Plug the key in again, then press Try again.")
    wait_for(named("label", msg), "the words for a key pulled out")
    button(_("Try again"))
    shot("unplugged")
    rc, out = cli_json("status", "1")
    status = json.loads(out)["orders"][0].get("status") if rc == 0 else None
    keys = private_keys()
    if status != "ordered" or keys != 0:
        fail("after the key was pulled out: order status %r, %d private keys" % (status, keys))
    print("unplugged: order 1 still ordered, no key pair on the token", flush=True)
    click(_("Try again"))
    type_pin("123456")
    fifo_line(fifo)
    with open(fifo + ".go", "w") as go:
        go.write("g")


def entry_text(o):
    t = o.queryText()
    return t.getText(0, t.characterCount)


def tab_to(role, name, what, most=12):
    """Tab until the focus is on (role, name), every control passed named."""
    for _i in range(most):
        o = focused_now()
        if o is not None and o.getRoleName() == role and o.name == name:
            return wait_focus(named(role, name), what)
        if o is not None and not has_name(o):
            fail("Tab passed a %s with no accessible name (%r)" % (o.getRoleName(), o.name))
        if o is not None:
            print("  Tab: %s %r" % (o.getRoleName(), o.name), flush=True)
        before = o
        press("Tab")
        wait_for(lambda x: x.getState().contains(pyatspi.STATE_FOCUSED) and x is not before,
                 "the focus moving on from %s" % (before.name if before is not None else "nothing"))
    fail("%s never got the focus by Tab" % what)


def keyboard():
    """The whole enrolment with the keyboard only: Return, space, Tab and
    typed text; the focus where a person expects it at each screen."""
    # The pointer over the window: without a window manager, X gives the
    # keyboard to the window under the pointer.
    pyatspi.Registry.generateMouseEvent(200, 200, "abs")
    wait_for(name_has("label", _("Key found: \"%s\" (%s).").split("\"")[0]), "the key found")
    wait_focus(named("push button", _("Check this key")), "Check this key, the default button")
    press("Return")
    wait_for(named("label", _("A demonstration key: accepted for tests only, never for a real certificate.")),
             "the check's verdict")
    wait_focus(named("push button", _("Continue")), "Continue after the check")
    press("space")
    wait_for(named("label", _("No order is recorded yet: record the one you placed on the Certigna portal.")),
             "the empty order list")
    wait_focus(named("push button", _("Record a new order")), "Record a new order (no order to choose)")
    press("Return")
    wait_focus(named("text", _("Holder's first name")), "the first field of the form")
    for label, text in ((_("Holder's first name"), "Jean"), (_("Holder's last name"), "Dupont"),
                        (_("E-mail address"), "jean@example.fr"), (_("Company name"), "Boulangerie Dupont"),
                        (_("SIREN or SIRET"), "732829320")):
        tab_to("text", label, "the field " + label)
        type_keys(text)
        # The tree read afresh (find clears libatspi's cache) until the
        # field holds what was typed.
        wait_for(lambda o, label=label, text=text: named("text", label)(o)
                 and entry_text(o) == text, "%r typed in %s" % (text, label))
    cgu = tab_to("check box", _("I accepted Certigna's terms of use (CGU) on the portal"), "the CGU box")
    press("space")
    wait_for(lambda o: o is cgu and o.getState().contains(pyatspi.STATE_CHECKED), "the CGU box ticked")
    tab_to("push button", _("Record the order"), "Record the order")
    shot("keyboard-form")
    press("Return")
    wait_focus(named("push button", _("Make the key pair")), "Make the key pair")
    press("Return")
    wait_focus(lambda o: o.getRoleName() == "password text", "the PIN entry")
    type_keys("123456")
    press("Return")
    prefix = _("Your request is saved in %s").split("%s")[0]
    saved = wait_for(name_has("label", prefix), "the request saved", timeout=180)
    wait_focus(named("push button", _("Next steps")), "Next steps")
    shot("keyboard-done")
    check_request(saved, prefix)
    print("keyboard: the enrolment done with keys only, the focus where expected", flush=True)


def final_try():
    wait_for(named("push button", _("Make the key pair")), "the key page")
    click(_("Make the key pair"))
    entry = pin_dialog()
    wait_for(named("label", _("Last try: if this PIN is wrong, the key locks and only the unblocking code (or the CA) can open it again.")),
             "the last-try warning")
    type_into(entry, "123456")
    cont = dialog_click_continue()
    box = wait_for(named("check box", _("I understand: this is the last try, a wrong PIN locks the key.")),
                   "the last-try confirmation")
    if sensitive(cont):
        fail("the last try can be spent without the confirmation")
    shot("final-try")
    toggle(box)
    wait_for(lambda o: o is cont and sensitive(o), "Continue enabled once confirmed")
    shot("final-try-confirmed")
    cont.queryAction().doAction(0)


def done():
    saved, start = request_saved()
    wait_for(named("link", _("Open the Certigna portal")), "the portal link")
    shot("done")
    # The file the window names, as the person reads it.
    check_request(saved, start)
    click(_("Close"))


def askpass_once(answer):
    """rgs-enroll-gtk --askpass PROMPT as the watcher runs it: the PIN typed
    (or the dialog cancelled), what it writes on stdout and its status."""
    prompt = "rgs-enroll: PIN of the token \"holder\" (SoftHSM)"
    proc = subprocess.Popen([WINDOW, "--askpass", prompt], stdout=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    try:
        wait_for(named("label", prompt), "the askpass prompt")
        entry = pin_dialog()
        if answer is None:
            shot("askpass")
            dlg = wait_for(lambda o: o.getRoleName() in ("dialog", "frame", "alert")
                           and o.name == _("PIN of the key"), "the PIN dialog")
            names = (_("Cancel"), _("Cancel") + " " + _("Cancel"))
            cancel = [o for o in walk(dlg) if o.getRoleName() == "push button"
                      and o.name in names and showing(o)]
            if not cancel:
                fail("no Cancel in the askpass dialog")
            cancel[0].queryAction().doAction(0)
        else:
            type_into(entry, answer)
            cont = dialog_click_continue()
            wait_for(lambda o: o is cont and sensitive(o), "Continue enabled")
            cont.queryAction().doAction(0)
        out, _err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, out


def askpass():
    rc, out = askpass_once("123456")
    if rc != 0 or out != b"123456\n":
        fail("askpass wrote %r with status %d, not the PIN and 0" % (out, rc))
    print("askpass: the PIN on stdout, status 0", flush=True)
    rc, out = askpass_once(None)
    if rc != 1 or out != b"":
        fail("askpass cancelled wrote %r with status %d, not nothing and 1" % (out, rc))
    print("askpass cancelled: nothing on stdout, status 1", flush=True)


def watch_children(pid):
    """The window's `rgs-enroll ... watch` children (from /proc)."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = f.read().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid and b"watch" in argv:
            found.append(int(d))
    return found


def wait_children(pid, n, what, not_=None):
    """Until the window has n watch children (none of them in not_)."""
    end = time.monotonic() + TIMEOUT
    while time.monotonic() < end:
        kids = watch_children(pid)
        if len(kids) == n and not set(kids) & set(not_ or []):
            return kids
        time.sleep(0.05)
    fail("timed out waiting for %s (%d watch children of the window)" % (what, len(watch_children(pid))))


def wait_for_key(win):
    """No key at first: the window waits for one by itself (a watch child),
    Look again replaces that child, the key made appears without a press,
    and no watch child is left once it is found."""
    tokens, gone = os.path.join(WORK, "tokens"), os.path.join(WORK, "gone")
    wait_for(named("label", _("No key found yet. Plug in your key: the window goes on by itself when it finds it.")),
             "the window waiting for a key")
    wait_for(named("label", _("Waiting for your key…")), "the waiting spinner's words")
    first = wait_children(win.pid, 1, "the window's wait for a key")
    shot("token-waiting")
    click(_("Look again"))
    wait_for(named("label", _("Waiting for your key…")), "the wait started again")
    # The old wait stopped, one new wait (a wait kept would time out here).
    wait_children(win.pid, 1, "one new wait after Look again", not_=first)
    move_tokens(gone, tokens)
    wait_for(name_has("label", _("Key found: \"%s\" (%s).").split("\"")[0]), "the key found by itself")
    wait_children(win.pid, 0, "the wait ended once the key is found")
    print("wait: the key found without a press, no watch child left", flush=True)
    # Pulled out again and the window closed while it waits: the wait ends
    # with it (SIGTERM when the window dies).
    move_tokens(tokens, gone)
    click(_("Look again"))
    last = wait_children(win.pid, 1, "the wait for the key pulled out")
    win.terminate()
    win.wait(timeout=TIMEOUT)
    end = time.monotonic() + TIMEOUT
    while os.path.exists("/proc/%d" % last[0]) and time.monotonic() < end:
        time.sleep(0.05)
    if os.path.exists("/proc/%d" % last[0]):
        fail("the wait outlived the window (pid %d)" % last[0])
    print("wait: no orphan once the window is gone", flush=True)


def main():
    start = time.monotonic()
    if SCENARIO == "wait":
        move_tokens(os.path.join(WORK, "tokens"), os.path.join(WORK, "gone"))
    if SCENARIO == "askpass":
        askpass()
        print("%s %s: passed in %.1f s" % (SCENARIO, LANG, time.monotonic() - start), flush=True)
        return
    win = subprocess.Popen([WINDOW])
    try:
        holder_window()
        print("window shown after %.2f s" % (time.monotonic() - start), flush=True)
        if SCENARIO == "keyboard":
            keyboard()
            win.terminate()
            win.wait(timeout=TIMEOUT)
            print("%s %s: passed in %.1f s" % (SCENARIO, LANG, time.monotonic() - start), flush=True)
            return
        if SCENARIO == "wait":
            wait_for_key(win)
            print("%s %s: passed in %.1f s" % (SCENARIO, LANG, time.monotonic() - start), flush=True)
            return
        token_and_check()
        if SCENARIO == "wrongpin":
            new_order()
            wrong_then_right()
        elif SCENARIO == "unplug":
            chosen_order()
            unplugged()
        else:
            chosen_order()
            final_try()
        done()
        rc = win.wait(timeout=TIMEOUT)
        if rc != 0:
            fail("the window exited with %d" % rc)
    finally:
        if win.poll() is None:
            win.kill()
            win.wait()
    print("%s %s: passed in %.1f s" % (SCENARIO, LANG, time.monotonic() - start), flush=True)


main()
