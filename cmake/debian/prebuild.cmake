# SPDX-License-Identifier: BSD-3-Clause
# Run by cpack on the staged tree, before the package is made: manual pages
# and the changelog compressed as Debian policy wants (gzip -9n: no name, no
# time stamp, so the package is reproducible).
file(GLOB_RECURSE _pages "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*/share/man/*.[0-9]")
file(GLOB_RECURSE _logs "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*/share/doc/*/changelog.Debian")
foreach(f IN LISTS _pages _logs)
  execute_process(COMMAND gzip -9nf "${f}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "gzip ${f} failed")
  endif()
endforeach()
