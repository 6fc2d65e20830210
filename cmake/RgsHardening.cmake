# SPDX-License-Identifier: BSD-3-Clause
# Hardening, as Debian builds its packages (dpkg-buildflags): PIE, read-only
# relocations bound at load (bindnow), and _FORTIFY_SOURCE=2, which needs
# optimisation, so only in optimised builds without the sanitizers (ASan
# replaces the checked functions itself). Included before the targets.
include(CheckPIESupported)
check_pie_supported(LANGUAGES C)
add_link_options(LINKER:-z,relro LINKER:-z,now)
if(NOT RGS_SANITIZE AND NOT RGS_FUZZ)
  add_compile_options($<$<CONFIG:Release,RelWithDebInfo,MinSizeRel>:-U_FORTIFY_SOURCE>
                      $<$<CONFIG:Release,RelWithDebInfo,MinSizeRel>:-D_FORTIFY_SOURCE=2>)
endif()
# Release builds at -O2, as Debian's (CMake's default is -O3).
string(REPLACE "-O3" "-O2" CMAKE_C_FLAGS_RELEASE "${CMAKE_C_FLAGS_RELEASE}")
