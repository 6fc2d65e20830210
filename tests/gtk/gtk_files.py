#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""gtk_files.py - the holder's files through rgs-enroll-gtk, as a person
uses them, over AT-SPI (pyatspi) under Xvfb and a D-Bus session.

Run by test_gtk_files (cmocka) as:
  gtk_files.py LANG WINDOW WORKDIR SHOTDIR TOKEN_URI
WORKDIR holds what the driver made: record-1.p7m (the face-to-face record of
order 1), record-other.p7m (order 2's), certificate-short.pem (for order
1's key, shorter than ordered), certificate.pem (the right one) and
certificate-new.pem (a second issue, replacing it after the question). The
window is opened for order 1 on the holder's token; the script exports the
dossier (PIN in the dialog) and checks it with `order import` into a store
of its own, imports the other order's record (refused) then order 1's
through the file chooser, drags the short certificate onto the install page
from gtk_drag.py (a file-manager-like drag source: refused, its check
marked No), installs the right one through the file chooser, the
browsers, then drops the second issue: replaced after the question. Every wait is for an event (an object showing up, a state change,
a line of the drag source, a process exit), never a fixed sleep.
"""
import os
import subprocess
import sys
import time

from rgsg_person import (holder_window, button, choose_file, click, dialog_button, drag_file, fail,
                         import_record, install_chosen, name_has, named, prefix, save_dossier,
                         sensitive, setup, shot, type_pin, wait_for, wait_label, walk, app,
                         showing, EXPORT_PLACE, EXPORT_SAVED, TIMEOUT)

LANG, WINDOW, WORK, SHOTS, URI = sys.argv[1:6]
_ = setup(LANG, SHOTS)
CLI = os.environ["RGS_ENROLL_BIN"]
HOME = os.environ["HOME"]


def labels():
    return [o.name for o in walk(app()) if o.getRoleName() == "label" and showing(o) and o.name]


def verify(dossier):
    """The dossier as the AED's laptop takes it: `order import` into a
    store of its own (the same dossier again is recognised, exit 0)."""
    r = subprocess.run([CLI, "--db", os.path.join(WORK, "verify.db"), "--json", "order", "import",
                        dossier], capture_output=True, text=True)
    if r.returncode != 0 or '"ok":true' not in r.stdout.replace(" ", ""):
        fail("the dossier %s does not verify: %s %s" % (dossier, r.stdout, r.stderr))


def export():
    dossier = save_dossier(("files-export", "files-export-done"))
    verify(dossier)
    print("dossier verified by order import", flush=True)
    # Another place, named in the save chooser; the sheet goes beside it.
    click(_("Choose another place…"))
    chosen = os.path.join(WORK, "chosen", "my-dossier.p7m")
    os.mkdir(os.path.dirname(chosen))
    choose_file(_("Where to save the dossier"), chosen, _("Save"))
    wait_label(prefix(EXPORT_PLACE) + chosen,
               "the chosen place")
    click(_("Save the dossier"))
    type_pin()
    wait_label(prefix(EXPORT_SAVED) + chosen,
               "the dossier saved in the chosen place")
    if not os.path.isfile(os.path.join(WORK, "chosen", "my-dossier-sheet.pdf")):
        fail("no paper sheet beside the chosen place")
    verify(chosen)
    print("dossier saved in the chosen place", flush=True)
    click(_("Back"))
    click(_("Dossier for the AED"))
    # The same place again: replaced only after a question; Cancel keeps it.
    click(_("Save the dossier"))
    dialog_button(_("Replace the files?"), _("Cancel"), "files-replace").queryAction().doAction(0)
    wait_for(lambda o: named("push button", _("Save the dossier"))(o) and sensitive(o),
             "the export page again")
    click(_("Back"))


def record():
    click(_("Face-to-face record"))
    wait_for(named("label", _("Drop the record file here.")), "the record page")
    shot("files-record")
    click(_("Choose the record file…"))
    choose_file(_("The face-to-face record"), os.path.join(WORK, "record-other.p7m"))
    wait_for(name_has("label", _("Check that this is the record of this order, from the AED who met you. If it is, ask the AED to send it again.")),
             "the other order's record refused")
    shot("files-record-refused")
    print("record for another order refused: %r" % [l for l in labels() if _("Check that") in l],
          flush=True)
    done = import_record(os.path.join(WORK, "record-1.p7m"))
    shot("files-record-done")
    print("record imported: %r" % done.name, flush=True)
    click(_("Back"))


def install():
    click(_("Install the certificate"))
    wait_for(named("label", _("Drop the certificate file here.")), "the install page")
    shot("files-install")
    # A certificate that does not last as long as ordered, dragged from a
    # file manager onto the page: refused in words, the line marked No
    # among the checks.
    drag_file(os.path.join(WORK, "certificate-short.pem"), 400, 300)
    print("certificate dropped on the page", flush=True)
    type_pin()
    refused = wait_for(name_has("label", _("See the lines marked No below. If the file is the one Certigna sent for this order, contact Certigna with these details.")),
                       "the short certificate refused", timeout=120)
    wait_for(lambda o: o.getRoleName() == "label" and (o.name or "").startswith(_("No")),
             "a check marked No")
    shot("files-install-refused")
    print("short certificate refused: %r" % refused.name, flush=True)
    done, n = install_chosen(os.path.join(WORK, "certificate.pem"))
    shot("files-install-done")
    print("certificate installed: %r, %d checks" % (done.name, n), flush=True)
    b = button(_("Use it in Firefox and Chromium"))
    b.queryAction().doAction(0)
    said = wait_for(named("label", _("Firefox and Chromium can now use your certificate. If one of them is open, close it and open it again.")),
                    "the browsers' answer", timeout=120)
    shot("files-browsers")
    print("browsers: %r" % said.name, flush=True)
    # A second certificate for the same key: installed only after the
    # question, with --replace (the PIN asked again).
    drag_file(os.path.join(WORK, "certificate-new.pem"), 400, 300)
    type_pin()
    dialog_button(_("Replace the certificate?"), _("Replace"),
                  "files-install-replace").queryAction().doAction(0)
    type_pin()
    done = wait_label(_("Your certificate is installed on your key.\nIn the name of: %s\nValid from %s to %s.").split("\n")[0],
                      "the new certificate installed", timeout=120)
    print("certificate replaced: %r" % done.name, flush=True)
    click(_("Back"))


def main():
    start = time.monotonic()
    win = subprocess.Popen([WINDOW, "--order", "1", "--token", URI])
    try:
        holder_window()
        wait_for(lambda o: named("push button", _("Dossier for the AED"))(o) and sensitive(o),
                 "the hub")
        export()
        record()
        install()
        click(_("Close"))
        rc = win.wait(timeout=TIMEOUT)
        if rc != 0:
            fail("the window exited with %d" % rc)
    finally:
        if win.poll() is None:
            win.kill()
            win.wait()
    print("files %s: passed in %.1f s" % (LANG, time.monotonic() - start), flush=True)


main()
