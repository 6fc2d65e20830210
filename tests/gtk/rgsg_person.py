#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""rgsg_person.py - what every window test does as a person: find the
window's objects in the accessibility tree (AT-SPI, pyatspi) under Xvfb and
a D-Bus session, wait for them, press, type, take screenshots.

A script calls setup(LANG, SHOTS) first; every wait is for an event (an
object showing up, a state changing), bounded by TIMEOUT, never a fixed
sleep.
"""
import gettext
import os
import select
import signal
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

TIMEOUT = float(os.environ.get("RGS_GTK_TIMEOUT", "60"))
LANG = "en"
SHOTS = "."
_ = str


def setup(lang, shots):
    """The language and the screenshot folder; returns the catalogue's
    gettext (the window's own translations, rgs-enroll text domain)."""
    global LANG, SHOTS, _
    LANG, SHOTS = lang, shots
    localedir = os.environ.get("RGS_ENROLL_LOCALEDIR")
    _ = gettext.translation("rgs-enroll", localedir, languages=[lang],
                            fallback=(lang == "en")).gettext
    return _


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


def pin_dialog():
    return wait_for(lambda o: o.getRoleName() == "password text", "the PIN entry")


def dialog_click_continue(title=None):
    return dialog_button(title or _("PIN of the key"), _("Continue"))


def _extents(o):
    return o.queryComponent().getExtents(pyatspi.WINDOW_COORDS)


def reveal(o):
    """Scroll the page with the mouse wheel, as a person does, until o lies
    inside its scrolled view: the view is the nearest ancestor shorter than
    the child it holds. Each turn of the wheel waits for o to move."""
    prev, p, view = o, o.parent, None
    while p is not None and p.getRoleName() not in ("frame", "window", "application"):
        if _extents(p)[3] + 1 < _extents(prev)[3]:
            view = p
            break
        prev, p = p, p.parent
    if view is None:
        return
    end = time.monotonic() + TIMEOUT
    while time.monotonic() < end:
        vx, vy, vw, vh = _extents(view)
        x, y, w, h = _extents(o)
        if y >= vy and y + h <= vy + vh:
            return
        pyatspi.Registry.generateMouseEvent(vx + vw // 2, vy + vh // 2,
                                            "b5c" if y + h > vy + vh else "b4c")
        moved = time.monotonic() + 2
        while time.monotonic() < moved and _extents(o)[1] == y:
            time.sleep(0.02)
    fail("could not scroll to %r" % o.name)


def choose(o):
    """A radio or check box that may lie below the fold: scrolled to, clicked."""
    reveal(o)
    toggle(o)


# ---- the keyboard only (a person who does not use the mouse) -------------

KEYSYMS = {"Tab": 0xff09, "Return": 0xff0d, "space": 0x20, "Down": 0xff54, "Up": 0xff52,
           "Escape": 0xff1b}


def press(name):
    """One key pressed and released (X keysym, through XTest)."""
    pyatspi.Registry.generateKeyboardEvent(KEYSYMS[name], None, pyatspi.KEY_SYM)


def type_keys(text):
    """Text typed key by key, as a person types it (not set at once)."""
    for ch in text:
        # An X keysym is the code point for printable Latin-1; at-spi's
        # KEY_STRING types nothing on Debian 12, KEY_SYM adds the Shift.
        pyatspi.Registry.generateKeyboardEvent(ord(ch), None, pyatspi.KEY_SYM)


def focused_now():
    return find(lambda o: showing(o) and o.getState().contains(pyatspi.STATE_FOCUSED))


def wait_focus(pred, what):
    """The keyboard focus on the object pred names, waited for; it must have
    an accessible name (what a screen reader says on Tab)."""
    o = wait_for(lambda x: x.getState().contains(pyatspi.STATE_FOCUSED) and pred(x),
                 "the focus on " + what)
    if not has_name(o):
        fail("the focused %s has no accessible name (%r)" % (o.getRoleName(), o.name))
    return o


def has_name(o):
    """A name for people: not empty, not GTK's fallback (the class name)."""
    name = (o.name or "").strip()
    return name != "" and not (name.startswith("Gtk") and name[3:4].isupper() and " " not in name)



def dialog_button(title, label, what=None):
    """The button label of the dialog titled title (libadwaita 1.2 names
    its response buttons "Label Label" and keeps hidden copies); what: a
    screenshot's name, taken once the dialog shows."""
    dlg = wait_for(lambda o: o.getRoleName() in ("dialog", "frame", "alert") and o.name == title,
                   "the dialog '%s'" % title)
    if what is not None:
        shot(what)
    names = (label, label + " " + label)
    for o in walk(dlg):
        if o.getRoleName() == "push button" and o.name in names and showing(o):
            return o
    fail("no %s in the dialog '%s'" % (label, title))


def wait_in(top, pred, what, timeout=TIMEOUT, depth=40):
    """wait_for within top's subtree only: a file chooser's own tree, not
    the whole application's (its file lists make a full walk slow)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        top.clearCache()
        for o in walk(top, 40 - depth):
            try:
                if showing(o) and pred(o):
                    return o
            except Exception:
                continue
        # Polled (the tree read again), bounded by the deadline.
        time.sleep(0.05)
    for o in walk(top):
        if o.getRoleName() in ("text", "push button", "label") and showing(o):
            print("  seen: %s %r" % (o.getRoleName(), o.name))
    fail("timed out waiting for " + what)


def choose_file(title, path, accept=None):
    """GTK's file chooser titled title (GtkFileChooserNative without a
    portal): '/' typed opens its location entry, as a person does (in save
    mode the name entry is that entry), the path goes in, then Open (or
    accept, the chooser's button). The window manager-less Xvfb gives the
    keyboard to the window under the pointer: the pointer goes over the
    chooser first (mapped last, on top at the origin)."""
    # GTK 4.8 gives the chooser dialog the role "filler".
    dlg = wait_in(app(), lambda o: o.getRoleName() in ("dialog", "filler", "file chooser")
                  and o.name == title and o.parent == app(), "the file chooser '%s'" % title,
                  depth=1)
    pyatspi.Registry.generateMouseEvent(200, 200, "abs")
    pyatspi.Registry.generateKeyboardEvent(0x2f, None, pyatspi.KEY_SYM)
    # GTK 4.8 names the location entry by its class, the save mode's by its
    # label ("Name:", translated by GTK); the other text of the dialog
    # ("Connect to Server") is hidden in the Other Locations view.
    entry = wait_in(dlg, lambda o: o.getRoleName() == "text"
                    and o.name not in ("Connect to Server", "Se connecter au serveur"),
                    "the chooser's location entry")
    type_into(entry, path)
    accept = accept or _("Open")
    names = (accept, accept + " " + accept)
    ok = wait_in(dlg, lambda o: o.getRoleName() == "push button" and o.name in names
                 and sensitive(o), "the chooser's Open button")
    ok.queryAction().doAction(0)


def _pointer_until(src, want, where, what):
    """Move the pointer to where(k) for k = 0, 1, ... until the drag source
    says a line starting with want, bounded by TIMEOUT: the X server's
    and the XDND messages' pace, not a guessed delay."""
    end, k = time.monotonic() + TIMEOUT, 0
    while time.monotonic() < end:
        pyatspi.Registry.generateMouseEvent(*where(k), "abs")
        k += 1
        if select.select([src.stdout], [], [], 0.1)[0]:
            line = src.stdout.readline()
            if not line:
                break
            if line.startswith(want):
                return line.strip()
    fail("timed out waiting for the drag source: " + what)


def _line(proc, want, what):
    """The next line of proc that starts with want, within TIMEOUT."""
    end = time.monotonic() + TIMEOUT
    while time.monotonic() < end:
        ready = select.select([proc.stdout], [], [], max(0.0, end - time.monotonic()))[0]
        if not ready:
            break
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith(want):
            return line.strip()
    fail("timed out waiting for the drag source: " + what)


def drag_file(path, x, y):
    """Drag path from a file-manager-like source (gtk_drag.py, a GTK 4
    window at the origin, 160x80) and drop it at (x, y) of the screen, the
    pointer moved as a hand does (XTest); each step waits for the source's
    word: the pointer over it, the drag begun, the target accepting (action
    1: copy), the drag ended."""
    src = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "gtk_drag.py"),
                            path], stdout=subprocess.PIPE, text=True)
    try:
        _line(src, "ready", "its window")
        # GTK says "mapped" before the X server shows the window: the
        # pointer goes over it until it says the pointer entered.
        _pointer_until(src, "enter", lambda k: (80 + k % 2, 40), "the pointer over it")
        pyatspi.Registry.generateMouseEvent(80, 40, "b1p")
        _pointer_until(src, "begin", lambda k: (80 + min(k, 10) * (x - 80) // 10,
                                                40 + min(k, 10) * (y - 40) // 10), "the drag begun")
        _pointer_until(src, "action 1", lambda k: (x + k % 3, y), "the window accepting the drop")
        pyatspi.Registry.generateMouseEvent(x, y, "b1r")
        _line(src, "end", "the drop")
    finally:
        src.kill()
        src.wait()


def holder_window(what="the window"):
    """The holder's window on screen, in the language of the run."""
    frame = wait_for(lambda o: o.getRoleName() == "frame" and o.name == _("RGS** certificate"),
                     what)
    if LANG == "fr" and frame.name == "RGS** certificate":
        fail("the window is not in French")
    return frame


# ---- steps several scripts share (the holder's enrolment) ----------------

def type_pin(pin="123456"):
    """The PIN typed in the dialog, Continue pressed once it is enabled."""
    entry = pin_dialog()
    type_into(entry, pin)
    cont = dialog_click_continue()
    wait_for(lambda o: o is cont and sensitive(o), "Continue enabled")
    cont.queryAction().doAction(0)


def prefix(msgid):
    """The fixed start of a translated message with a %s."""
    return _(msgid).split("%s")[0]


def wait_label(start, what, timeout=TIMEOUT):
    return wait_for(lambda o: o.getRoleName() == "label" and (o.name or "").startswith(start),
                    what, timeout=timeout)


def check_request(label, start):
    """The request file the window names (label's text after start)
    verifies, with the holder's name."""
    csr = label.name[len(start):]
    if not csr.startswith(os.environ["HOME"] + "/") or not os.path.isfile(csr):
        fail("no request written where the window says: %r" % csr)
    r = subprocess.run([os.environ.get("OPENSSL_BIN", "openssl"), "req", "-in", csr, "-noout",
                        "-verify", "-subject"], capture_output=True, text=True)
    print(r.stdout + r.stderr, flush=True)
    if r.returncode != 0 or "Jean DUPONT" not in r.stdout:
        fail("the request does not verify or has another subject")
    return csr


def wait_line(log, pred, what):
    """The first line of the file log for which pred holds, waited for (the
    file grows as its writer goes on), bounded by TIMEOUT."""
    end = time.monotonic() + TIMEOUT
    while time.monotonic() < end:
        try:
            with open(log) as f:
                for line in f:
                    if pred(line.rstrip("\n")):
                        return line.rstrip("\n")
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    fail("timed out waiting for %s in %s" % (what, log))


def start_watcher(window, order=None):
    """`rgs-enroll watch --once` as the user unit runs it: no terminal (a
    session of its own), no askpass; the window program named."""
    env = dict(os.environ)
    env.pop("RGS_ENROLL_ASKPASS", None)
    env.pop("SSH_ASKPASS", None)
    args = [os.environ["RGS_ENROLL_BIN"], "--json", "watch", "--once", "--timeout", "60",
            "--no-udev", "--window", window]
    if order is not None:
        args += ["--order", order]
    return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            start_new_session=True, env=env)


def close_window():
    """The person closes the window: its process (AT-SPI names it) ends."""
    a = app()
    pid = a.get_process_id() if a is not None else 0
    if pid <= 0:
        fail("no process for the window")
    os.kill(pid, signal.SIGTERM)


def notified(log, watcher_args, what):
    """A notification server of the test (RGS_FAKE_NOTIFYD, logging to log),
    the watcher started (start_watcher(*watcher_args)), its notification
    waited for: returns (server, watcher, the notification's log line)."""
    server = subprocess.Popen([os.environ["RGS_FAKE_NOTIFYD"], log])
    watcher = None
    try:
        wait_line(log, lambda l: l == "ready", "the notification server")
        watcher = start_watcher(*watcher_args)
        line = wait_line(log, lambda l: "|rgs-enroll|" in l, what)
        fields = line.split("|")
        if len(fields) < 6 or "open," + _("Open the window") not in fields[5] \
                or not fields[5].startswith("default,"):
            fail("the notification carries no \"open\" action: %r" % line)
    except SystemExit:
        stop_notified(server, watcher)
        raise
    return server, watcher, line


def stop_notified(server, watcher):
    """Neither process of notified() outlives the run, nor the window the
    watcher started (in the watcher's session and process group): a window
    left would hold the run's output open."""
    if watcher is not None and watcher.poll() is None:
        os.killpg(watcher.pid, signal.SIGKILL)
        watcher.wait()
    if server is not None and server.poll() is None:
        server.kill()
        server.wait()


def key_page_after_check():
    """The window opened for a key: the check's verdict, Continue, the key
    page of the order."""
    wait_for(named("label", _("A demonstration key: accepted for tests only, never for a real certificate.")),
             "the check's verdict")
    click(_("Continue"))
    wait_for(named("push button", _("Make the key pair")), "the key page")
    intro = _("The key pair will be made on your key \"%s\" for order %lld, and the request saved as %s.")
    wait_for(name_has("label", intro.split("%lld")[0].split("\"")[0]), "the key page's intro")


def request_saved():
    """The request saved, or the key page back with an error: whichever
    comes first (a failure shows at once); returns the label and the
    start of its text before the file name."""
    start = _("Your request is saved in %s").split("%s")[0]
    again = _("Type the PIN again")
    saved = wait_for(lambda o: name_has("label", start)(o)
                     or (named("push button", again)(o) and sensitive(o)),
                     "the request saved", timeout=180)
    if saved.getRoleName() == "push button":
        fail("the key pair was refused: %s" % [o.name for o in walk(app())
                                               if o.getRoleName() == "label" and showing(o)])
    return saved, start


EXPORT_PLACE = "The dossier will be saved as %s, and its paper sheet with the QR code as %s."
EXPORT_SAVED = ("Your dossier is saved in %s and its paper sheet in %s.\n\n"
                "What to do now:\n"
                "1. Send the dossier file to the AED (the huissier) before the appointment, by e-mail, "
                "or bring it on a USB stick.\n"
                "2. Print the paper sheet and bring it to the face-to-face with this key, your identity "
                "document and the company's registration extract: the AED checks with its QR code that "
                "your key holds the key named on the paper.")


def save_dossier(shots):
    """From the hub: the dossier for the AED saved at its proposed place,
    signed on the key (PIN typed); shots: the names of the two screenshots.
    Returns the dossier's path (checked: its paper sheet is a PDF)."""
    click(_("Dossier for the AED"))
    wait_label(prefix(EXPORT_PLACE), "the dossier's place")
    shot(shots[0])
    click(_("Save the dossier"))
    type_pin()
    wait_label(prefix(EXPORT_SAVED), "the dossier saved")
    shot(shots[1])
    home = os.environ["HOME"]
    sheet = os.path.join(home, "rgs-dossier-order-1-sheet.pdf")
    if not os.path.isfile(sheet) or not open(sheet, "rb").read(5) == b"%PDF-":
        fail("no paper sheet at %s" % sheet)
    return os.path.join(home, "rgs-dossier-order-1.p7m")


def import_record(path):
    """On the record page: the record file chosen, verified and kept; its
    facts (the AED, where the order stands) checked. Returns the label."""
    click(_("Choose the record file…"))
    choose_file(_("The face-to-face record"), path)
    done = wait_label(_("The record is verified and kept with your order.\nAED: %s\nSigned on: %s").split("\n")[0],
                      "the record imported")
    stands = _("%s\nWhere your order stands now: %s").split("%s")[1].strip()
    if "Maître Jeanne DUPONT-LÉGER" not in done.name or stands not in done.name:
        fail("the record's facts are missing: %r" % done.name)
    return done


def install_chosen(path):
    """On the install page: the certificate file chosen, the PIN typed,
    installed with every check listed (at least five). Returns the label
    and the number of checks."""
    click(_("Choose the certificate file…"))
    choose_file(_("Your certificate"), path)
    type_pin()
    done = wait_label(_("Your certificate is installed on your key.\nIn the name of: %s\nValid from %s to %s.").split("\n")[0],
                      "the certificate installed", timeout=120)
    checks = wait_for(named("list", _("Checks of the certificate")), "the list of checks")
    rows = [c for c in checks if showing(c)]
    if len(rows) < 5:
        fail("only %d checks listed" % len(rows))
    return done, len(rows)


def move_tokens(src, dst):
    """Each SoftHSM token directory in one rename: the token leaves (or
    comes back to) its reader at once, as a USB key does."""
    os.makedirs(dst, exist_ok=True)
    for name in os.listdir(src):
        os.rename(os.path.join(src, name), os.path.join(dst, name))
