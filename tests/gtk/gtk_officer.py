#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""gtk_officer.py - the AED officer (huissier) using rgs-enroll-gtk --officer
through the accessibility tree (AT-SPI, pyatspi), under Xvfb and a D-Bus
session, for the face-to-face of the holder's order.

Run by test_gtk_officer (cmocka) as:
  gtk_officer.py LANG WINDOW WORKDIR SHOTDIR AED_DB DOSSIER RECORD KEYPAD_DB CLI
The dossier is opened through the file chooser (its path typed in the
location entry), the two keys told apart, the holder's PIN typed wrong once
(one C_Login on the holder's key, the counter shown) then right, the identity
document and the extract filled in, the AED's PIN typed, the report shown,
printed to a file through the print dialog (pdftotext finds the holder's
name in it) and the record saved as RECORD. Then, in KEYPAD_DB (the dossier
already imported), both keys behind readers with a keypad (the fault
module's protected authentication path): the two PIN dialogs say so and
have no entry, and f2f run (through a wrapper of CLI that records its argv
and descriptors) gets no PIN option and no PIN descriptor; it logs in once
(the AED's key first), which SoftHSM refuses for its NULL PIN. Every wait is
for an event.
"""
import datetime
import gettext
import os
import subprocess
import sys
import time

import pyatspi

from rgsg_person import (app, click, dialog_click_continue, fail, find, logins, name_has,
                         named, pin_dialog, sensitive, setup, shot, showing, toggle, type_into,
                         wait_for, walk, TIMEOUT)

LANG, WINDOW, WORK, SHOTS, DB, DOSSIER, RECORD, KEYPAD_DB, CLI = sys.argv[1:10]
_ = setup(LANG, SHOTS)
# GTK's own dialogs (file chooser, print) speak GTK's catalogue.
_gtk = gettext.translation("gtk40", languages=[LANG], fallback=True).gettext


def gtk_label(msgid):
    return _gtk(msgid).replace("_", "")


def dialog(title):
    end = time.monotonic() + TIMEOUT
    while time.monotonic() < end:
        a = app()
        if a is not None:
            a.clearCache()
            for w in a:
                if w is not None and w.name == title:
                    return w
        time.sleep(0.05)
    for w in (app() or []):
        print("  window: %s %r" % (w.getRoleName(), w.name))
    fail("timed out waiting for the dialog '%s'" % title)


def in_dialog(dlg, pred, what):
    end = time.monotonic() + TIMEOUT
    while time.monotonic() < end:
        dlg.clearCache()
        for o in walk(dlg):
            try:
                if showing(o) and pred(o):
                    return o
            except Exception:
                continue
        time.sleep(0.05)
    for o in walk(dlg):
        print("  in dialog: %s %r showing=%s" % (o.getRoleName(), o.name, showing(o)))
    fail("timed out waiting for %s in the dialog" % what)


def labelled(o, msgid):
    """A dialog button: GTK 4.8 names it "_Open Open" (mnemonic and label)."""
    plain = msgid.replace("_", "")
    return o.name in (plain, msgid, msgid + " " + plain)


def keys(text):
    """Typed on the keyboard, into the window under the pointer (no window
    manager: the X focus follows the pointer)."""
    for ch in text:
        pyatspi.Registry.generateKeyboardEvent(0, ch, pyatspi.KEY_STRING)


def pointer_into(o):
    x, y, w, h = o.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
    pyatspi.Registry.generateMouseEvent(x + w // 2, y + h // 2, "abs")


def press(o):
    o.queryAction().doAction(0)


def forged_copy():
    """The dossier with one byte of its middle changed, as an altered file."""
    data = bytearray(open(DOSSIER, "rb").read())
    data[len(data) // 2] ^= 0x01
    path = os.path.join(WORK, "dossier-altered.p7m")
    with open(path, "wb") as f:
        f.write(data)
    return path


def choose(path):
    click(_("Open the holder's dossier…"))
    dlg = dialog(_("The holder's dossier"))
    # A path typed opens the chooser's location entry (GTK names it after
    # its class).
    pointer_into(dlg)
    keys("/")
    entry = in_dialog(dlg, lambda o: o.getRoleName() == "text" and o.name == "GtkFileChooserEntry",
                      "the location entry")
    type_into(entry, path)
    shot("dossier-chooser")
    press(in_dialog(dlg, lambda o: o.getRoleName() == "push button"
                    and labelled(o, _("_Open")) and sensitive(o), "the Open button"))


def open_dossier():
    wait_for(named("label", _("1. The holder's dossier")), "the dossier page")
    shot("dossier")
    choose(forged_copy())
    wait_for(name_has("label", _("This dossier was refused: it was altered, is incomplete, or was not signed with the key of its own request. Do not go on with it; ask the holder to export it again from their window.\n%s").split("%s")[0]),
             "the altered dossier refused in words")
    if sensitive(wait_for(named("push button", _("Continue")), "Continue")):
        fail("an altered dossier lets the face-to-face go on")
    shot("dossier-refused")
    choose(DOSSIER)
    wait_for(named("label", _("The dossier is genuine: signed with the key of the holder's request.")),
             "the dossier accepted")
    wait_for(name_has("label", "Senez"), "the holder shown")
    shot("dossier-imported")
    click(_("Continue"))


def tokens():
    wait_for(lambda o: name_has("label", _("The holder's key: %s, the serial named in the dossier.").split("%s")[0])(o)
             and (o.name or "").endswith(_("It holds the key named in the dossier.")),
             "the holder's key told, the dossier's key found on it (order check-qr)")
    wait_for(name_has("label", _("Your AED key: %s. It signs the record.").split("%s")[0]),
             "the AED's key told")
    wait_for(named("label", _("A demonstration key: accepted for tests only, never for a real certificate.")),
             "the holder's key checked")
    shot("tokens")
    click(_("Continue"))


def holder_pin(pin, first, shots=True):
    wait_for(named("label", _("3. Proof of possession")), "the proof of possession page")
    wait_for(named("label", _("All tries are left.") if first else
                   _("Fewer tries are left: a wrong PIN was typed since the last correct one. Type it carefully.")),
             "the holder's counter before the try")
    if not first and shots:
        shot("pop-after-wrong-pin")
    click(_("The holder types the PIN") if first else _("Type the PIN again"))
    entry = pin_dialog()
    if shots:
        shot("holder-pin" if first else "holder-pin-again")
    type_into(entry, pin)
    cont = dialog_click_continue()
    wait_for(lambda o: o is cont and sensitive(o), "Continue enabled")
    press(cont)


def identity(first, shots=True):
    wait_for(named("label", _("4. Identity document and 5. registration extract")), "the identity page")
    if first:
        type_into(wait_for(named("text", _("Name as printed on the document")), "the name entry"),
                  "SENEZ Frédéric")
        type_into(wait_for(named("text", _("End of validity (YYYY-MM-DD)")), "expiry"), "2031-05-31")
        type_into(wait_for(named("password text", _("Document number")), "number"), "X4RTBPFW4")
        extract = (datetime.date.today() - datetime.timedelta(days=20)).isoformat()
        type_into(wait_for(named("text", _("Date of the registration extract (YYYY-MM-DD, under three months)")),
                           "extract"), extract)
        type_into(wait_for(named("text", _("Your office (name and address)")), "office"),
                  "SELARL Acthemis, 29 Chemin de Séverin 13200 ARLES")
        type_into(wait_for(named("text", _("Place of the face-to-face")), "place"), "13200 Arles")
        nxt = wait_for(named("push button", _("Continue")), "Continue")
        if sensitive(nxt):
            fail("the identity can go on without the document checked")
        toggle(wait_for(named("check box", _("I checked the document against the person present: it is genuine and its photo is theirs.")),
                        "the document checked box"))
        if shots:
            shot("identity")
    click(_("Continue"))


def aed_sign(pin="123456"):
    wait_for(named("label", _("6. Your signature")), "the signature page")
    shot("sign")
    click(_("Sign with your AED key"))
    entry = pin_dialog()
    shot("aed-pin")
    type_into(entry, pin)
    press(dialog_click_continue())


def wrong_then_right():
    holder_pin("000000", True)
    identity(True)
    before = logins()
    aed_sign()
    refused = _("The holder's PIN was refused by their key: %s. The refusal is recorded; the holder may type the PIN again.").split("%s")[0]
    other = _("The face-to-face was refused: %s. The refusal is signed and recorded; the order does not move on.").split("%s")[0]
    # Whichever comes first: a wrong outcome shows at once, not at the timeout.
    o = wait_for(lambda o: name_has("label", refused)(o) or name_has("label", other)(o),
                 "the holder's PIN refused", timeout=120)
    if not o.name.startswith(refused):
        fail("the wrong PIN was not told as the holder's: %r" % o.name)
    n = logins() - before
    if n != 1:
        fail("the holder's wrong PIN made %d C_Login calls on the holder's key, not 1" % n)
    print("holder's wrong PIN: exactly one C_Login", flush=True)
    holder_pin("123456", False)
    identity(False)
    # The AED's PIN wrong: told by error.code, nothing recorded, and the
    # holder's PIN (spent with the run) typed again for the new try.
    aed_sign("654321")
    wait_for(named("label", _("Your AED key refused its PIN: %s")
                   % _("The PIN is wrong: the key refused it and counted one try.")),
             "the AED's PIN refused (error.code pin-incorrect)", timeout=120)
    shot("aed-pin-wrong")
    click(_("Try again: the holder types the PIN"))
    holder_pin("123456", False, shots=False)
    identity(False)
    aed_sign()


def report():
    wait_for(named("label", _("7. The report and 8. the record for the holder")), "the report page",
             timeout=180)
    wait_for(lambda o: o.getRoleName() in ("image", "icon", "picture", "graphic", "animation")
             or (o.name or "").startswith(_("Page %d of the report").split("%d")[0]),
             "the report's page shown", timeout=120)
    shot("report")


def print_to_file():
    out = os.path.join(os.environ["HOME"], "face-to-face-report-order-1.pdf")
    click(_("Print the report…"))
    dlg = dialog(gtk_label("Print"))
    cell = in_dialog(dlg, lambda o: o.getRoleName() in ("table cell", "label")
                     and o.name == gtk_label("Print to File"), "Print to File")
    try:
        x, y, w, h = cell.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
        pyatspi.Registry.generateMouseEvent(x + min(w // 2, 10), y + h // 2, "b1c")
    except Exception:
        pass
    shot("print-dialog")
    press(in_dialog(dlg, lambda o: o.getRoleName() == "push button"
                    and (labelled(o, _gtk("_Print")) or labelled(o, _gtk("Print")))
                    and sensitive(o), "the Print button"))
    end = time.monotonic() + TIMEOUT
    text = ""
    while time.monotonic() < end:
        if os.path.exists(out):
            r = subprocess.run([os.environ.get("PDFTOTEXT", "pdftotext"), out, "-"],
                               capture_output=True, text=True)
            text = r.stdout
            if r.returncode == 0 and "senez" in text.lower():
                break
        # The print job written by GTK's file backend: polled, bounded.
        time.sleep(0.1)
    if "senez" not in text.lower():
        fail("no printed report with the holder's name in %s: %r" % (out, text[:300]))
    print("printed to a file with the holder's name: %s" % out, flush=True)


def save_record():
    click(_("Save the record for the holder…"))
    dlg = dialog(_("Save the record for the holder"))
    entry = in_dialog(dlg, lambda o: o.getRoleName() == "text"
                      and o.name in (gtk_label("_Name:"), gtk_label("Name:")), "the name entry")
    type_into(entry, RECORD)
    shot("save-record")
    press(in_dialog(dlg, lambda o: o.getRoleName() == "push button" and labelled(o, _("_Save"))
                    and sensitive(o), "the Save button"))
    wait_for(name_has("label", _("The record is saved as %s.\nGive it to the holder: in their window, under \"Face-to-face record\", they import it; their order then moves on to the certificate.").split("%s")[0]),
             "the record saved")
    if not os.path.isfile(RECORD):
        fail("no record at %s" % RECORD)
    shot("record-saved")


def keypad_dialog(sentence, what):
    """The keypad's PIN dialog: its sentence, no entry; Enter continues."""
    wait_for(named("label", sentence), what)
    wait_for(named("label", _("Press Continue, then type your PIN on the reader's keypad. It is never typed on the computer.")),
             "the keypad's instruction")
    if find(lambda o: showing(o) and o.getRoleName() == "password text") is not None:
        fail("a PIN entry in the dialog of a keypad reader")
    shot(what.replace(" ", "-"))
    cont = dialog_click_continue()
    wait_for(lambda o: o is cont and sensitive(o), "Continue enabled")
    press(cont)


def keypad_run():
    """Both keys behind keypad readers: no PIN on the computer, none handed on."""
    log = os.path.join(WORK, "f2f-run-argv")
    wrapper = os.path.join(WORK, "cli-wrapper.sh")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\n"
                "case \" $* \" in *' f2f run '*) { printf '%%s\\n' \"$*\"; "
                "for n in 3 5; do [ -e /proc/$$/fd/$n ] && echo fd$n-open; done; } > '%s';; esac\n"
                "exec '%s' \"$@\"\n" % (log, CLI))
    os.chmod(wrapper, 0o755)
    env = dict(os.environ, RGS_ENROLL_GTK_CLI=wrapper,
               RGS_FAULT_TOKEN_FLAGS_SET="CKF_PROTECTED_AUTHENTICATION_PATH",
               RGS_ENROLL_AED_MODULE=os.environ["RGS_ENROLL_MODULE"])
    win = subprocess.Popen([WINDOW, "--officer", "--db", KEYPAD_DB], env=env)
    try:
        click(_("Order %lld: %s %s, %s").replace("%lld", "%d") % (1, "Frédéric", "Senez", "BS AUTO"))
        wait_for(name_has("label", _("Order %lld\nHolder: %s\nCompany: %s (SIREN %s)\nCA reference: %s\nHolder's key: serial %s\nKey fingerprint (SHA-256): %s").split("%lld")[0] + "1\n"),
                 "the imported order shown")
        click(_("Continue"))
        wait_for(name_has("label", _("Your AED key: %s. It signs the record.").split("%s")[0]),
                 "the AED's key told")
        click(_("Continue"))
        wait_for(named("label", _("All tries are left.")), "the holder's counter")
        click(_("The holder types the PIN"))
        keypad_dialog(_("Type your PIN on the reader's keypad for the key \"%s\".") % "Holder",
                      "holder keypad")
        identity(True, shots=False)
        wait_for(named("label", _("6. Your signature")), "the signature page")
        before = logins()
        click(_("Sign with your AED key"))
        keypad_dialog(_("AED: type the PIN of your key \"%s\" on the reader's keypad. It signs the record.") % "AED",
                      "aed keypad")
        # The run ended (refused: SoftHSM takes no NULL PIN), the button
        # offers a new try once any counter is read again.
        wait_for(lambda o: named("push button", _("Try again: the holder types the PIN"))(o)
                 and sensitive(o), "the run's end", timeout=120)
        shot("keypad-refused")
    finally:
        if win.poll() is None:
            win.terminate()
            win.wait(timeout=TIMEOUT)
    seen = open(log).read()
    if "--pin-fd" in seen or "--aed-pin-fd" in seen or "fd3-open" in seen or "fd5-open" in seen:
        fail("a PIN option or descriptor reached f2f run for keypad readers: %r" % seen)
    if logins() - before != 1:
        fail("keypad readers: %d C_Login calls, not 1" % (logins() - before))
    print("keypad readers: no PIN option, no PIN descriptor, one C_Login", flush=True)


def main():
    start = time.monotonic()
    win = subprocess.Popen([WINDOW, "--officer", "--db", DB])
    try:
        frame = wait_for(lambda o: o.getRoleName() == "frame" and o.name == _("RGS** face-to-face"),
                         "the window")
        # The window's catalogue (its new sentences reach po/fr.po with the
        # lead's merge: until then they show in English).
        if LANG == "fr" and _("Continue") == "Continue":
            fail("no French catalogue")
        open_dossier()
        tokens()
        wrong_then_right()
        report()
        print_to_file()
        save_record()
    finally:
        if win.poll() is None:
            win.terminate()
            win.wait(timeout=TIMEOUT)
    print("officer %s: passed in %.1f s" % (LANG, time.monotonic() - start), flush=True)
    start = time.monotonic()
    keypad_run()
    print("officer keypad %s: passed in %.1f s" % (LANG, time.monotonic() - start), flush=True)


main()
