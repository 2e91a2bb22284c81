# Usage: cmake -DCXX=<compiler> -DINCLUDE=<dir> -DSNIPPET=<file> -P compile_fail.cmake
# First compiles SNIPPET as is (the control: it must succeed, else the setup is broken and the
# check proves nothing), then once per PHIFD_TRY_* macro, each of which must fail because a
# deleted copy constructor or copy assignment is used.
set(flags -std=c++17 -Wall -Wextra -Wpedantic -Werror -fsyntax-only "-I${INCLUDE}")
execute_process(COMMAND "${CXX}" ${flags} "${SNIPPET}" RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "control snippet does not compile (broken setup, not a copy check):\n${err}")
endif()
message(STATUS "control snippet compiles")
foreach(case PHIFD_TRY_COPY_MONITOR PHIFD_TRY_ASSIGN_MONITOR PHIFD_TRY_COPY_CONFIG PHIFD_TRY_ASSIGN_CONFIG
    PHIFD_TRY_COPY_CLOCK PHIFD_TRY_ASSIGN_CLOCK)
  execute_process(COMMAND "${CXX}" ${flags} "-D${case}" "${SNIPPET}" RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(rc EQUAL 0)
    message(FATAL_ERROR "${case}: compiled, but copying must not compile")
  endif()
  if(NOT err MATCHES "deleted")
    message(FATAL_ERROR "${case}: failed for another reason than a deleted copy:\n${err}")
  endif()
  message(STATUS "${case}: rejected as expected")
endforeach()
