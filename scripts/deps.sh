#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# deps.sh - install what building, testing and the demo need, from Debian 12's
# packages. Sourced by demo.sh and test.sh; safe to run again (installs only
# what is missing). Uses sudo when not root.
set -eu

RGS_PACKAGES="
  build-essential cmake ninja-build pkg-config gettext ca-certificates
  libssl-dev openssl libp11-dev libp11-kit-dev p11-kit libcurl4-openssl-dev
  libsqlite3-dev sqlite3 libcmocka-dev libjson-c-dev
  opensc opensc-pkcs11 softhsm2
  libcairo2-dev libqrencode-dev fonts-dejavu-core poppler-utils zbar-tools
  clang libclang-rt-14-dev cppcheck
  libsystemd-dev systemd udev dbus-daemon umockdev libumockdev-dev bash-completion dpkg-dev strace
  lintian groff-base man-db file binutils iso-codes
  pcscd vsmartcard-vpcd libcacard-dev libpcsclite-dev libnss3-tools gnutls-bin
  libnss3-dev p11-kit-modules
  libgtk-4-dev libadwaita-1-dev libjson-glib-dev xvfb xauth x11-utils dbus-x11 at-spi2-core
  python3-pyatspi appstream desktop-file-utils imagemagick gir1.2-gtk-4.0 gir1.2-adw-1
  python3-jsonschema libpoppler-glib-dev
"

rgs_install_deps() {
  missing=""
  for p in $RGS_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  echo ">> installing:$missing"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends $missing
}
