#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""gtk_e2e.py - a whole holder enrolment through rgs-enroll-gtk in one run,
from the key plugged in to the certificate installed, as a person goes
through it (AT-SPI, pyatspi, under Xvfb and a D-Bus session).

Run by test_gtk_e2e (cmocka) as:
  gtk_e2e.py LANG WINDOW WORKDIR SHOTDIR PIN_FILE ISSUER
Order 1 is recorded (no key pair yet), the holder's token "holder" is
blank of keys, the AED's token "AED" holds its key and certificate; it
waits in WORKDIR/aed-away (not plugged in: the watcher sees the holder's
key only) until the face-to-face.
1. The watcher (`watch --once --window WINDOW`) notifies on this D-Bus
   session (RGS_FAKE_NOTIFYD, the test's server, clicks the action): the
   window opens at the key page of order 1.
2. The key pair made, the PIN typed in the dialog, the request saved and
   checked with `openssl req -verify`.
3. Certigna's reference set (`order set 1 --ca-ref`), the dossier exported
   through the window's "Dossier for the AED" page; on the AED's laptop
   (a store of its own) the dossier imported and `f2f run --batch` with
   the AED's token; the certificate issued from the request by the test
   PKI (`ISSUER issue CSR WORKDIR`).
4. In the hub: the record imported, the certificate installed (file
   choosers), every check listed. The driver then asks `status`.
Every wait is for an event (a line of the notification server's log, an
accessible object, a process exit), never a fixed sleep.
"""
import json
import os
import signal
import subprocess
import sys
import time

from rgsg_person import (holder_window, check_request, click, fail, import_record, install_chosen,
                         key_page_after_check, move_tokens, named, notified, request_saved, stop_notified, save_dossier,
                         sensitive, setup, shot, showing, type_pin, wait_for, walk, TIMEOUT)

LANG, WINDOW, WORK, SHOTS, PIN_FILE, ISSUER = sys.argv[1:7]
_ = setup(LANG, SHOTS)
CLI = os.environ["RGS_ENROLL_BIN"]
MODULE = os.environ["SOFTHSM2_MODULE"]
POLICY = os.environ["RGS_ENROLL_POLICY"]


def cli(*args, stdin=None):
    """rgs-enroll --json ARGS as Certigna or the AED runs it; exit 0
    required; its JSON answer."""
    r = subprocess.run([CLI, "--policy", POLICY, "--json"] + list(args), input=stdin,
                       capture_output=True, text=True, timeout=TIMEOUT)
    if r.returncode != 0:
        fail("rgs-enroll %s failed (%d): %s %s" % (" ".join(args[:3]), r.returncode, r.stdout, r.stderr))
    return json.loads(r.stdout)


def opened_by_notification(run):
    """Step 1: the key plugged in, the watcher's notification clicked, the
    window at the key page of order 1. run gets the notification server
    and the watcher at once (stopped by main, whatever happens next)."""
    log = os.path.join(WORK, "notifications")
    run["server"], run["watcher"], line = notified(log, (WINDOW, "1"), "the watcher's notification")
    # The whole message is the msgid: its translated end.
    want = _("Token %s: the next step needs the token's PIN. Open the window to go on.").split("%s")[1]
    if want not in line:
        fail("the notification does not offer the window: %r" % line)
    print("notification with the action \"open\": %s" % line, flush=True)
    run["server"].send_signal(signal.SIGUSR1)
    holder_window("the window opened by the notification")
    key_page_after_check()
    shot("e2e-key")
    print("window opened at the key page of order 1", flush=True)


def key_pair():
    """Step 2: the key pair made on the key, the request saved."""
    click(_("Make the key pair"))
    type_pin()
    saved, start = request_saved()
    shot("e2e-request")
    csr = check_request(saved, start)
    click(_("Next steps"))
    wait_for(lambda o: named("push button", _("Dossier for the AED"))(o) and sensitive(o), "the hub")
    shot("e2e-hub")
    return csr


def aed_and_ca(csr):
    """Step 3: Certigna's reference, the dossier through the window, the
    face-to-face on the AED's laptop, the certificate issued."""
    cli("order", "set", "1", "--ca-ref", "CMD-2026-0042", "--status", "submitted")
    dossier = save_dossier(("e2e-export", "e2e-export-done"))
    print("dossier exported through the window: %s" % dossier, flush=True)
    click(_("Back"))
    # The AED's key plugged in (on the AED's laptop: away until now).
    move_tokens(os.path.join(WORK, "aed-away"), os.path.join(WORK, "tokens"))
    aed_db = os.path.join(WORK, "aed.db")
    aed_id = cli("--db", aed_db, "order", "import", dossier)["order_id"]
    record = os.path.join(WORK, "record-1.p7m")
    extract = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 10 * 86400))
    cli("--db", aed_db, "--module", MODULE, "--token", "pkcs11:token=holder", "--pin-file",
        PIN_FILE, "f2f", "run", str(aed_id), "--aed-token", "pkcs11:token=AED", "--aed-module",
        MODULE, "--aed-pin-file", PIN_FILE, "--out", record, "--force", "--batch",
        "--id-document", "id-card", "--id-name", "DUPONT Jean", "--id-expires", "2035-05-31",
        "--id-number-fd", "0", "--id-verified", "yes", "--extract-date", extract, "--office",
        "SELARL Acthemis, 29 Chemin de Séverin 13200 ARLES", "--place", "13200 Arles",
        stdin="x4rt bpfw4\n")
    print("face-to-face record made by the AED: %s" % record, flush=True)
    if subprocess.run([ISSUER, "issue", csr, WORK], timeout=TIMEOUT).returncode != 0:
        fail("the test PKI did not issue the certificate")
    return record, os.path.join(WORK, "certificate.pem")


def all_passed():
    """Every check shown with its verdict (its icon's name): each criterion
    passed, or waived by the demo policy; the CA's revocation answer may
    be "Not checked" (the test PKI runs no OCSP responder), never No."""
    checks = wait_for(named("list", _("Checks of the certificate")), "the list of checks")
    verdicts = (_("Yes"), _("No"), _("No, accepted for the demo only"), _("Not checked"))
    revoked = _("The certification authority has not revoked the certificate.")
    for row in [c for c in checks if showing(c)]:
        names = [o.name for o in walk(row)]
        said = [v for v in names if v in verdicts][:1]
        ok = (_("Yes"), _("No, accepted for the demo only"))
        if revoked in names:
            ok += (_("Not checked"),)
        if not said or said[0] not in ok:
            fail("a check not passed: %r" % names[:6])


def record_and_install(record, cert):
    """Step 4: in the hub, the record imported, the certificate installed."""
    click(_("Face-to-face record"))
    wait_for(named("label", _("Drop the record file here.")), "the record page")
    done = import_record(record)
    shot("e2e-record-done")
    print("record imported: %r" % done.name, flush=True)
    click(_("Back"))
    click(_("Install the certificate"))
    wait_for(named("label", _("Drop the certificate file here.")), "the install page")
    done, n = install_chosen(cert)
    shot("e2e-installed")
    all_passed()
    print("certificate installed: %r, %d checks, every one passed" % (done.name, n), flush=True)


def main():
    start = time.monotonic()
    run = {"server": None, "watcher": None}
    try:
        opened_by_notification(run)
        csr = key_pair()
        record, cert = aed_and_ca(csr)
        record_and_install(record, cert)
        click(_("Back"))
        click(_("Close"))
        watcher = run["watcher"]
        out, _err = watcher.communicate(timeout=TIMEOUT)
        if watcher.returncode != 0 or json.loads(out).get("window_offered") is not True:
            fail("the watcher ended with %d: %r" % (watcher.returncode, out))
        print("the watcher ended with the window", flush=True)
    finally:
        stop_notified(run["server"], run["watcher"])
    print("e2e %s: passed in %.1f s" % (LANG, time.monotonic() - start), flush=True)


main()
