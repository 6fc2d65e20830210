# SPDX-License-Identifier: BSD-3-Clause
# The window's Debian package, rgs-enroll-gtk (gtk/CPackConfig-gtk.cmake.in),
# lintian-clean as the command line's is (cmake/RgsPackaging.cmake): the DEP-5
# copyright file and a changelog of its own under /usr/share/doc/rgs-enroll-gtk,
# its lintian overrides; the manual page is installed with the window
# (gtk/CMakeLists.txt). Included after RgsPackaging.cmake, which sets the
# maintainer and configures the copyright file; only when the window is built.
if(NOT TARGET rgs-enroll-gtk)
  return()
endif()
set(_rgsg_debdoc ${CMAKE_INSTALL_DATADIR}/doc/rgs-enroll-gtk)
configure_file(${PROJECT_SOURCE_DIR}/cmake/debian/changelog-gtk
               ${PROJECT_BINARY_DIR}/debian/gtk/changelog.Debian @ONLY)
# Only into the package, as the command line's: `cmake --install` leaves them.
install(FILES ${PROJECT_BINARY_DIR}/debian/copyright
              ${PROJECT_BINARY_DIR}/debian/gtk/changelog.Debian
        DESTINATION ${_rgsg_debdoc} COMPONENT gtk-debian EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/cmake/debian/lintian-overrides-gtk
        DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME rgs-enroll-gtk
        COMPONENT gtk-debian EXCLUDE_FROM_ALL)
