#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""gtk_drag.py - a drag source for the window tests: a small GTK 4 window
(at the screen's origin, no window manager) whose label drags FILE as a
file list, as a file manager does (XDND). The person's script presses the
pointer on it and drops on the window under test; the source says on its
standard output what happens ("ready" once mapped, "enter" when the pointer
reaches it: only then does it get the X server's events, "begin", "action
N" when a target accepts, "end"), the events the script waits for.

  gtk_drag.py FILE
"""
import sys

import gi

gi.require_version("Gdk", "4.0")
gi.require_version("Gtk", "4.0")
from gi.repository import Gdk, Gio, Gtk  # noqa: E402

PATH = sys.argv[1]


def prepare(source, x, y):
    files = Gdk.FileList.new_from_list([Gio.File.new_for_path(PATH)])
    return Gdk.ContentProvider.new_for_value(files)


def say(text):
    print(text, flush=True)


def on_action(drag, pspec):
    say("action %d" % int(drag.get_selected_action()))


def on_begin(source, drag):
    drag.connect("notify::selected-action", on_action)
    say("begin")


def on_end(source, drag, delete):
    say("end")


def activate(app):
    win = Gtk.ApplicationWindow(application=app, title="rgs-drag-source")
    win.set_default_size(160, 80)
    win.set_decorated(False)
    label = Gtk.Label(label="drag me")
    source = Gtk.DragSource(actions=Gdk.DragAction.COPY)
    source.connect("prepare", prepare)
    source.connect("drag-begin", on_begin)
    source.connect("drag-end", on_end)
    label.add_controller(source)
    motion = Gtk.EventControllerMotion()
    motion.connect("enter", lambda c, x, y: say("enter"))
    label.add_controller(motion)
    win.set_child(label)
    win.connect("map", lambda w: say("ready"))
    win.present()


app = Gtk.Application(flags=Gio.ApplicationFlags.NON_UNIQUE)
app.connect("activate", activate)
app.run([sys.argv[0]])
