# SPDX-License-Identifier: BSD-3-Clause
# The Debian package: `cpack -G DEB` in a build directory (a RelWithDebInfo
# build: -O2 -g, the debug symbols going to the -dbgsym package). What lintian
# asks of a binary package is made here: the DEP-5 copyright file, the
# changelog, compressed manual pages and changelog (cmake/debian/prebuild.cmake,
# run on the staged tree), stripped binaries with their symbols kept apart, an
# extended description. Library dependencies come from dpkg-shlibdeps.

# The one place to set who maintains the package (Maintainer field, changelog
# trailer, copyright Upstream-Contact). To be replaced by a real address.
set(RGS_DEBIAN_MAINTAINER "rgs-enroll maintainers <maintainers@rgs-enroll.invalid>"
    CACHE STRING "Maintainer of the Debian package: Name <address>")
set(RGS_SOURCE_URL "https://rgs-enroll.invalid/" CACHE STRING "Where the sources are published")

set(_debdoc ${CMAKE_INSTALL_DATADIR}/doc/rgs-enroll)
configure_file(${PROJECT_SOURCE_DIR}/cmake/debian/copyright.in
               ${PROJECT_BINARY_DIR}/debian/copyright @ONLY)
configure_file(${PROJECT_SOURCE_DIR}/cmake/debian/changelog
               ${PROJECT_BINARY_DIR}/debian/changelog.Debian @ONLY)
# Only into the package: a plain `cmake --install` leaves /usr/local/share/doc alone.
install(FILES ${PROJECT_BINARY_DIR}/debian/copyright ${PROJECT_BINARY_DIR}/debian/changelog.Debian
        DESTINATION ${_debdoc} COMPONENT debian EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/cmake/debian/lintian-overrides
        DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME rgs-enroll
        COMPONENT debian EXCLUDE_FROM_ALL)

set(CPACK_PACKAGE_NAME "rgs-enroll")
set(CPACK_PACKAGE_VENDOR "The rgs-enroll authors")
set(CPACK_PACKAGE_CONTACT "${RGS_DEBIAN_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${RGS_DEBIAN_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "French RGS** personal certificate, from order to a working PKCS#11 token")
# Extended description: CPack indents it and marks blank lines with " .".
set(CPACK_PACKAGE_DESCRIPTION
"rgs-enroll takes a French RGS** personal certificate (Certigna's Pack ID
RGS**, as ordered through the Chambres de Metiers et de l'Artisanat) from the
order to a working crypto token: a USB key or smart card driven through
PKCS#11.

It checks that the token and the key meet RGS**, generates the key pair on
the card, builds the SHA-256 certificate request and ties it to the order,
hands the request to the certification authority (a file for its portal, or
EST), records the face-to-face with the registration officer (AED) in a
record signed on the officer's token, and installs the issued certificate
next to its key. Orders are kept in an SQLite store. Messages are in French
and English; every command also speaks JSON for scripts and front ends.

A udev rule and a systemd user unit start the enrolment when a token is
plugged in. OpenSC's PKCS#11 module is used by default; any module can be
named.")
set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_GENERATOR "DEB")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION "utils")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${RGS_SOURCE_URL}")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_DEBUGINFO_PACKAGE ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Any PKCS#11 module can be named; OpenSC's is the default, pcscd reads the
# cards, SoftHSM2 is for the demo. The command line pulls in no GTK: the
# window will come in a package of its own.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "opensc-pkcs11, pcscd, ca-certificates")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "softhsm2")
set(CPACK_PRE_BUILD_SCRIPTS "${PROJECT_SOURCE_DIR}/cmake/debian/prebuild.cmake")
set(CPACK_POST_BUILD_SCRIPTS "${PROJECT_SOURCE_DIR}/cmake/debian/postbuild.cmake")
set(CPACK_INSTALL_CMAKE_PROJECTS
    "${PROJECT_BINARY_DIR};${PROJECT_NAME};Unspecified;/"
    "${PROJECT_BINARY_DIR};${PROJECT_NAME};man;/"
    "${PROJECT_BINARY_DIR};${PROJECT_NAME};debian;/")
include(CPack)
