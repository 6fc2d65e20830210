#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""gtk_person.py - drive rgs-enroll-gtk as a person would, through the
accessibility tree (AT-SPI, pyatspi), under Xvfb and a D-Bus session.

Run by test_gtk_window (cmocka) as:
  gtk_person.py SCENARIO LANG WINDOW WORKDIR SHOTDIR
SCENARIO: wrongpin (new order typed in the form, a wrong PIN, then the right
one), finaltry (an order chosen from the list, the last try confirmed) or
askpass (WINDOW --askpass PROMPT as the watcher runs it: a PIN, a cancel).
The environment (SoftHSM, fault module, store, policy) comes from the driver.
Every wait is for an event: an accessible object showing up, a state
changing, the window's child exiting; never a fixed sleep.
"""
import gettext
import os
import select
import subprocess
import sys
import time


def wait_display(timeout=30):
    """xvfb-run may start the command before its server accepts clients
    (seen on Debian 12): wait until a client connects, before pyatspi
    starts the registry daemon, which needs the display too."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if subprocess.run(["xdpyinfo"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0:
            return
        time.sleep(0.05)
    print("FAIL: the X server never accepted a client", flush=True)
    sys.exit(1)


wait_display()
import pyatspi  # noqa: E402

SCENARIO, LANG, WINDOW, WORK, SHOTS = sys.argv[1:6]
LOCALEDIR = os.environ.get("RGS_ENROLL_LOCALEDIR")
_ = gettext.translation("rgs-enroll", LOCALEDIR, languages=[LANG], fallback=(LANG == "en")).gettext
TIMEOUT = float(os.environ.get("RGS_GTK_TIMEOUT", "60"))


def fail(msg):
    print("FAIL: " + msg, flush=True)
    subprocess.run(["import", "-window", "root", os.path.join(SHOTS, "%s-failed.png" % LANG)])
    sys.exit(1)


def showing(o):
    """GTK 4.8 sets no SHOWING state: an object shows when it and all its
    ancestors are visible (the window hides the pages behind the current one)."""
    try:
        while o is not None and o.getRoleName() != "application":
            if not o.getState().contains(pyatspi.STATE_VISIBLE):
                return False
            o = o.parent
        return o is not None
    except Exception:
        return False


def walk(o, depth=0):
    if o is None or depth > 40:
        return
    yield o
    try:
        kids = list(o)
    except Exception:
        return
    for c in kids:
        yield from walk(c, depth + 1)


def app():
    desk = pyatspi.Registry.getDesktop(0)
    for a in desk:
        if a is not None and a.name == "rgs-enroll-gtk":
            return a
    return None


def find(pred):
    a = app()
    if a is None:
        return None
    # GTK 4.8 does not announce every change of a label's text: read the
    # tree afresh rather than from libatspi's cache.
    a.clearCache()
    for o in walk(a):
        try:
            if pred(o):
                return o
        except Exception:
            continue
    return None


def wait_for(pred, what, timeout=TIMEOUT):
    """Wait until pred(o) holds for a showing object; the tree is read again
    whenever AT-SPI may have changed, bounded by timeout."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        o = find(lambda x: showing(x) and pred(x))
        if o is not None:
            return o
        # A condition polled (the accessibility tree read again), bounded
        # by the deadline: no step relies on a guessed delay.
        time.sleep(0.05)
    a = app()
    for o in (walk(a) if a is not None else []):
        try:
            if o.getRoleName() in ("label", "push button", "text", "check box", "radio button"):
                print("  seen: %s %r showing=%s" % (o.getRoleName(), o.name, showing(o)))
        except Exception:
            pass
    fail("timed out waiting for " + what)


def named(role, name):
    return lambda o: o.getRoleName() == role and o.name == name


def name_has(role, text):
    return lambda o: o.getRoleName() == role and text in (o.name or "")


def button(name):
    return wait_for(lambda o: o.getRoleName() == "push button" and o.name == name
                    and o.getState().contains(pyatspi.STATE_SENSITIVE),
                    "button '%s' (sensitive)" % name)


def click(name):
    button(name).queryAction().doAction(0)


def toggle(o):
    """A check box or radio: GTK 4.8 gives it no AT-SPI action and no
    grabFocus; click it with the pointer, as a person does. GTK 4 reports
    window coordinates only: the window sits at the origin of the bare Xvfb
    screen (no window manager places it)."""
    was = o.getState().contains(pyatspi.STATE_CHECKED)
    x, y, w, h = o.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
    pyatspi.Registry.generateMouseEvent(x + min(w // 2, 10), y + h // 2, "b1c")
    wait_for(lambda x: x is o and x.getState().contains(pyatspi.STATE_CHECKED) != was,
             "%s toggled" % o.name)


def type_into(o, text):
    o.queryEditableText().setTextContents(text)


def sensitive(o):
    return o.getState().contains(pyatspi.STATE_SENSITIVE)


shot_n = [0]


def shot(name):
    """The window's screen as a PNG, checked not blank (more than a few colours)."""
    shot_n[0] += 1
    path = os.path.join(SHOTS, "%s-%02d-%s.png" % (LANG, shot_n[0], name))
    subprocess.run(["import", "-window", "root", path], check=True)
    colours = subprocess.run(["identify", "-format", "%k", path], check=True,
                             capture_output=True, text=True).stdout.strip()
    if int(colours) < 16:
        fail("screenshot %s is blank (%s colours)" % (path, colours))
    print("screenshot %s (%s colours)" % (path, colours), flush=True)


def logins():
    try:
        with open(os.environ["RGS_FAULT_COUNT_FILE"]) as f:
            return sum(1 for line in f if line.strip() == "C_Login")
    except FileNotFoundError:
        return 0


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


def pin_dialog():
    return wait_for(lambda o: o.getRoleName() == "password text", "the PIN entry")


def dialog_click_continue():
    dlg = wait_for(lambda o: o.getRoleName() in ("dialog", "frame", "alert") and o.name == _("PIN of the key"),
                   "the PIN dialog")
    # libadwaita 1.2 names its response buttons "Continue Continue" (the
    # label counted twice) and keeps a hidden copy of them for narrow screens.
    names = (_("Continue"), _("Continue") + " " + _("Continue"))
    for o in walk(dlg):
        if o.getRoleName() == "push button" and o.name in names and showing(o):
            return o
    for o in walk(dlg):
        print("  dialog: %s %r" % (o.getRoleName(), o.name))
    fail("no Continue in the PIN dialog")


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
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if not select.select([fd], [], [], TIMEOUT)[0]:
            fail("key generation never started (no line on %s)" % fifo)
        line = os.read(fd, 200).decode().strip()
    finally:
        os.close(fd)
    if not line.startswith("paused C_GenerateKeyPair"):
        fail("unexpected pause line %r" % line)
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
    prefix = _("Your request is saved in %s").split("%s")[0]
    again = _("Type the PIN again")
    # The request saved, or the key page back with an error: whichever
    # comes first (a failure shows at once, not after the timeout).
    saved = wait_for(lambda o: name_has("label", prefix)(o)
                     or (named("push button", again)(o) and sensitive(o)),
                     "the request saved", timeout=180)
    if saved.getRoleName() == "push button":
        fail("the key pair was refused: %s" % [o.name for o in walk(app())
                                               if o.getRoleName() == "label" and showing(o)])
    wait_for(named("link", _("Open the Certigna portal")), "the portal link")
    shot("done")
    # The file the window names, as the person reads it.
    csr = saved.name[len(prefix):]
    if not csr.startswith(os.environ["HOME"] + "/") or not os.path.isfile(csr):
        fail("no request written where the window says: %r" % csr)
    r = subprocess.run([os.environ.get("OPENSSL_BIN", "openssl"), "req", "-in", csr, "-noout",
                        "-verify", "-subject"], capture_output=True, text=True)
    print(r.stdout + r.stderr, flush=True)
    if r.returncode != 0 or "Jean DUPONT" not in r.stdout:
        fail("the request does not verify or has another subject")
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


def main():
    start = time.monotonic()
    if SCENARIO == "askpass":
        askpass()
        print("%s %s: passed in %.1f s" % (SCENARIO, LANG, time.monotonic() - start), flush=True)
        return
    win = subprocess.Popen([WINDOW])
    try:
        frame = wait_for(lambda o: o.getRoleName() == "frame" and o.name == _("RGS** certificate"),
                         "the window")
        print("window shown after %.2f s" % (time.monotonic() - start), flush=True)
        if LANG == "fr" and frame.name == "RGS** certificate":
            fail("the window is not in French")
        token_and_check()
        if SCENARIO == "wrongpin":
            new_order()
            wrong_then_right()
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
