#!/usr/bin/python3
"""The D-Bus test's services on the test's own session bus: org.example.Allowed and
org.example.Denied (Echo on /org/example/Test) and a notification service that writes each
notification's summary and body to LOG, one line each. Prints "ready" once it owns all.

  service.py LOG
"""
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

LOG = sys.argv[1]


class Test(dbus.service.Object):
    def __init__(self, bus, who):
        super().__init__(bus, "/org/example/Test")
        self.who = who

    @dbus.service.method("org.example.Test", in_signature="s", out_signature="s")
    def Echo(self, text):
        return "%s: %s" % (self.who, text)


class Notifications(dbus.service.Object):
    @dbus.service.method("org.freedesktop.Notifications", in_signature="susssasa{sv}i",
                         out_signature="u")
    def Notify(self, app, replaces, icon, summary, body, actions, hints, timeout):
        with open(LOG, "a") as f:
            f.write("%s|%s\n" % (summary, body))
        return 1

    @dbus.service.method("org.freedesktop.Notifications", out_signature="as")
    def GetCapabilities(self):
        return ["body"]

    @dbus.service.method("org.freedesktop.Notifications", out_signature="ssss")
    def GetServerInformation(self):
        return ("boxapp-test", "boxapp", "1", "1.2")


dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
# A connection each: the proxy's policy for a peer is the union of the names it owns, so
# the denied name must not share the allowed one's.
allowed, denied, notify = (dbus.SessionBus(private=True) for _ in range(3))
names = [dbus.service.BusName("org.example.Allowed", allowed),
         dbus.service.BusName("org.example.Denied", denied),
         dbus.service.BusName("org.freedesktop.Notifications", notify)]
objects = [Test(allowed, "allowed"), Test(denied, "denied"),
           Notifications(notify, "/org/freedesktop/Notifications")]
print("ready", flush=True)
GLib.MainLoop().run()
