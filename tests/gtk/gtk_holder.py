#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""gtk_holder.py - the holder's screens after the request, as a person uses
them, through the accessibility tree (rgsg_person.py).

Run by test_gtk_holder (cmocka) as:
  gtk_holder.py LANG WINDOW TOKEN_URI SHOTDIR
The driver made the order (département 13) and its request, and fixed the
clock (RGS_ENROLL_NOW=2026-12-07, a Monday). The window opens at the hub;
then the AED page (the offices, the fee of both ways of meeting, a Sunday
refused in words, booking it anyway cancelled at the confirmation then
confirmed, moved to a weekday and again), the hub again, the documents (an extract too old, then
a recent one, the planned sending). Every wait is for an event.
"""
import subprocess
import sys
import time

from rgsg_person import (holder_window, choose, reveal, click, dialog_button, fail, find, name_has, named, sensitive,
                         setup, shot, showing, type_into, wait_for)

LANG, WINDOW, URI, SHOTS = sys.argv[1:5]
_ = setup(LANG, SHOTS)

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


def day_words(d, m, y):
    """A day in the catalogue's words, as common_time.c writes it."""
    if d == 1:
        return _("1 %s %d") % (_(MONTHS[m - 1]), y)
    return _("%d %s %d") % (d, _(MONTHS[m - 1]), y)


def money(cents):
    fmt = _("%s%lld.%02lld €").replace("%lld", "%d").replace("%02lld", "%02d")
    return fmt % ("", cents // 100, cents % 100)


def radio(name):
    """A radio button: GTK 4.8 gives it the role of a check box."""
    return lambda o: o.getRoleName() in ("radio button", "check box") and o.name == name


def before(fmt):
    """The text of a translated sentence before its first %s."""
    return fmt.split("%s")[0]


def hub(first):
    wait_for(name_has("label", before(_("Order %lld: %s")).replace("%lld", "1")), "the order's title")
    for step in (_("Order placed on the Certigna portal"),
                 _("Key pair and certificate request made on your key"),
                 _("Face-to-face with the AED"), _("Paper originals posted to Certigna"),
                 _("Certificate issued by Certigna"), _("Certificate installed on your key")):
        wait_for(named("label", step), "the step '%s'" % step)
    wait_for(named("label", _("%s — %s") % (_("Done"), _("On the Certigna portal"))),
             "the first step's state and place")
    wait_for(named("label", _("%s — %s") % (_("Done"), _("Here, on this computer"))),
             "the key pair's state and place")
    wait_for(named("label", _("%s — %s") % (_("To do"), _("At the AED's, face to face"))),
             "the face-to-face's state and place")
    if first:
        wait_for(named("label", _("Upload your certificate request on the Certigna portal: it is the file saved when the key pair was made.")),
                 "the next step: submit, in the window's words")
        wait_for(named("label", _("Choose the AED (commissaire de justice) who will check your identity face to face, and book the appointment.")),
                 "the next step: choose the AED")
        wait_for(named("push button", _("Open the Certigna portal")), "the portal button")
    else:
        wait_for(named("label", _("Go to the appointment with the AED, with your key, a valid identity document and the signed face-to-face intervention form.")),
                 "the next step once booked: meet the AED")
    if find(lambda o: showing(o) and o.getRoleName() == "label" and "rgs-enroll " in (o.name or "")):
        fail("the hub shows a command line")
    shot("hub" if first else "hub-booked")
    reveal(wait_for(named("label", _("Certificate installed on your key")), "the last step"))
    shot("hub-steps" if first else "hub-booked-steps")


def offices_and_fee():
    click(_("AED and appointment"))
    for name in ("SELARL Acthemis", "SCP MATHIEU DE BENEDICTIS COEFFARD & MAUREL",
                 "SELARL SYNERGIE HUISSIERS 13", "SCP Gros-d'Haillecourt Chetboun Saitel"):
        wait_for(radio(name), "the office " + name)
    wait_for(named("label", "29 Chemin de Séverin, 13200 ARLES"), "an office's address")
    # Another place by its postal code: Paris has no office in the shipped
    # directory, said in words; then back to Arles's.
    postal = wait_for(named("text", _("or postal code")), "the postal code")
    type_into(postal, "75001")
    click(_("Show the offices"))
    wait_for(named("label", _("No AED office is known for this département. Choose a neighbouring one, or ask the Chambre de Métiers for the commissaires de justice near you.")),
             "no office in Paris, in words")
    type_into(postal, "13200")
    click(_("Show the offices"))
    wait_for(radio("SELARL Acthemis"), "the offices of 13200 again")
    fee = before(_("Estimated fee: %s excluding VAT, plus %s VAT (%lld %%), that is %s including VAT. %s"))
    wait_for(lambda o: name_has("label", fee)(o) and money(6000) in o.name,
             "the fee when the holder travels (60 € TTC)")
    shot("aed")
    choose(wait_for(radio(_("The AED comes to me")), "the AED travels"))
    km = wait_for(named("text", _("Distance from the AED's office to you, in km")), "the distance")
    wait_for(named("label", _("Type the distance in km from the AED's office to you: the fee depends on it.")),
             "the distance asked")
    type_into(km, "12")
    wait_for(lambda o: name_has("label", fee)(o) and money(20400) in o.name,
             "the fee when the AED travels 12 km (204 € TTC)")
    type_into(km, "40")
    reveal(wait_for(name_has("label", _("Beyond 30 km the fee is not fixed: ask the AED for a quote before you book.")),
                    "beyond 30 km: ask the AED"))
    shot("aed-travels")
    choose(wait_for(radio(_("I go to the AED's office")), "the holder travels"))
    wait_for(lambda o: name_has("label", fee)(o) and money(6000) in o.name, "the fee again")


def book(when):
    date = wait_for(named("text", _("Day and time (French time)")), "the appointment's entry")
    type_into(date, when)
    wait_for(lambda o: o.getRoleName() == "push button" and o.name in (_("Book"), _("Move the appointment"))
             and sensitive(o), "Book enabled").queryAction().doAction(0)


def appointment():
    choose(wait_for(radio("SELARL Acthemis"), "the office at Arles"))
    date = wait_for(named("text", _("Day and time (French time)")), "the appointment's entry")
    type_into(date, "31/02/2026 10h00")
    why = _("there is no such day in the calendar")
    wait_for(named("label", why[0].upper() + why[1:] + "."), "the impossible day told as it is typed")
    if sensitive(wait_for(named("push button", _("Book")), "Book")):
        fail("an impossible day can be booked")
    type_into(date, "13/12/2026 10h00")
    wait_for(named("label", _("%s at %02d:%02d") % (day_words(13, 12, 2026), 10, 0)),
             "the day typed, in words")
    book("13/12/2026 10h00")
    wait_for(name_has("label", _("The AED's offices are closed on that day: it is a Sunday or a public holiday.")),
             "the Sunday refused in words")
    print("Sunday refused in words", flush=True)
    shot("aed-refused")
    click(_("Book anyway…"))
    cancel = dialog_button(_("Book this date anyway?"), _("Cancel"))
    shot("aed-anyway")
    cancel.queryAction().doAction(0)
    # Cancelled: nothing recorded. Confirmed: the Sunday is booked (the AED
    # agreed), then moved to a weekday (the driver reads both in the history).
    wait_for(named("label", _("No appointment is recorded yet.")), "nothing booked once cancelled")
    click(_("Book anyway…"))
    dialog_button(_("Book this date anyway?"), _("Book anyway")).queryAction().doAction(0)
    wait_for(name_has("label", before(_("Appointment recorded: %s, %s, %s, %s %s. Bring your key, a valid identity document and the signed face-to-face intervention form."))
                      + day_words(13, 12, 2026)), "the Sunday booked once confirmed")
    book("15/12/2026 10h00")
    wait_for(name_has("label", before(_("Appointment recorded: %s, %s, %s, %s %s. Bring your key, a valid identity document and the signed face-to-face intervention form."))
                      + day_words(15, 12, 2026)), "the appointment shown")
    book("16/12/2026 14h30")
    booked = wait_for(name_has("label", before(_("Appointment recorded: %s, %s, %s, %s %s. Bring your key, a valid identity document and the signed face-to-face intervention form."))
                      + day_words(16, 12, 2026)), "the appointment moved")
    if "UTC" in booked.name:
        fail("the appointment's time shows an offset in France: %r" % booked.name)
    reveal(booked)
    shot("aed-booked")
    click(_("Back"))


def save_extract(day):
    issued = wait_for(named("text", _("Date of issue of the extract")), "the extract's date")
    type_into(issued, day)
    click(_("Save the document"))


def documents():
    click(_("Documents to post"))
    extract = wait_for(radio(_("Company registration extract (Kbis or equivalent)")),
                       "the registration extract")
    wait_for(name_has("label", "Certigna\n20 allée de la Râperie"), "Certigna's postal address")
    choose(extract)
    choose(wait_for(radio(_("Ready")), "the state Ready"))
    save_extract("01/08/2026")
    old = before(_("The registration extract is three months old or more on the sending day (it was good until %s): ask the registry for a new one."))
    wait_for(lambda o: name_has("label", old)(o) and day_words(31, 10, 2026) in o.name,
             "the extract too old, in words")
    shot("docs-extract-old")
    save_extract("2026-12-01")
    wait_for(named("label", _("Ready") + _(" — issued on %s") % day_words(1, 12, 2026)),
             "the extract ready, dated in words")
    if find(lambda o: showing(o) and name_has("label", old)(o)):
        fail("the warning stays once the extract is recent")
    planned = wait_for(named("text", _("Day you plan to post them")), "the planned day")
    type_into(planned, "20/12/2026")
    click(_("Save the planned day"))
    reveal(wait_for(named("label", _("You plan to post them on %s.") % day_words(20, 12, 2026)),
                    "the planned sending"))
    shot("docs")
    click(_("Back"))


def main():
    start = time.monotonic()
    win = subprocess.Popen([WINDOW, "--order", "1", "--token", URI])
    try:
        holder_window()
        hub(True)
        offices_and_fee()
        appointment()
        hub(False)
        documents()
        wait_for(named("label", _("Face-to-face with the AED")), "the hub again")
        click(_("Close"))
        rc = win.wait(timeout=60)
        if rc != 0:
            fail("the window exited with %d" % rc)
    finally:
        if win.poll() is None:
            win.kill()
            win.wait()
    print("holder %s: passed in %.1f s" % (LANG, time.monotonic() - start), flush=True)


main()
