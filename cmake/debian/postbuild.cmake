# SPDX-License-Identifier: BSD-3-Clause
# Run by cpack after the packages are made: the -dbgsym package of CMake 3.25
# lists absolute build paths in its md5sums and has no documentation
# directory. Rebuilt here as debhelper makes it: md5sums of its own files,
# /usr/share/doc/rgs-enroll-dbgsym a link to the package it depends on
# (Debian policy 12.5), debug files not executable.
foreach(pkg IN LISTS CPACK_PACKAGE_FILES)
  if(NOT pkg MATCHES "-dbgsym_.*\\.ddeb$")
    continue()
  endif()
  # The package the symbols are of: rgs-enroll, or rgs-enroll-gtk.
  get_filename_component(name "${pkg}" NAME)
  string(REGEX REPLACE "-dbgsym_.*$" "" of "${name}")
  set(root "${pkg}.d")
  file(REMOVE_RECURSE "${root}")
  execute_process(COMMAND dpkg-deb -R "${pkg}" "${root}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "dpkg-deb -R ${pkg} failed")
  endif()
  file(MAKE_DIRECTORY "${root}/usr/share/doc")
  file(CREATE_LINK "${of}" "${root}/usr/share/doc/${of}-dbgsym" SYMBOLIC)
  file(GLOB_RECURSE debug_files RELATIVE "${root}" "${root}/usr/lib/debug/*.debug")
  list(SORT debug_files)
  set(sums "")
  foreach(f IN LISTS debug_files)
    file(CHMOD "${root}/${f}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
    file(MD5 "${root}/${f}" sum)
    string(APPEND sums "${sum}  ${f}\n")
  endforeach()
  file(WRITE "${root}/DEBIAN/md5sums" "${sums}")
  file(CHMOD "${root}/DEBIAN/md5sums" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  execute_process(COMMAND dpkg-deb --root-owner-group -Zxz -b "${root}" "${pkg}"
                  RESULT_VARIABLE rc OUTPUT_QUIET)
  file(REMOVE_RECURSE "${root}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "dpkg-deb -b ${pkg} failed")
  endif()
endforeach()
