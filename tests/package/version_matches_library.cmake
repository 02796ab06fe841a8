# SPDX-License-Identifier: Apache-2.0
# `leakscope --version` prints one line, "leakscope <PROJECT_VERSION>[ (git <commit>[-dirty])]",
# and libleakscope.so holds that same line as a string (`strings` finds it).
cmake_minimum_required(VERSION 3.25)
execute_process(COMMAND ${LEAKSCOPE} --version OUTPUT_VARIABLE version RESULT_VARIABLE rc
                OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "leakscope --version failed (${rc})")
endif()
string(REPLACE "." "\\." escaped "${PROJECT_VERSION}")
if(NOT version MATCHES "^leakscope ${escaped}( \\(git [0-9a-f]+(-dirty)?\\))?$")
  message(FATAL_ERROR "leakscope --version printed '${version}', not 'leakscope "
                      "${PROJECT_VERSION} (git <commit>)'")
endif()
file(STRINGS ${LIBRARY} in_library REGEX "^leakscope [0-9]")
list(FIND in_library "${version}" at)
if(at LESS 0)
  message(FATAL_ERROR "${LIBRARY} does not hold '${version}'; its version strings: "
                      "'${in_library}'")
endif()
