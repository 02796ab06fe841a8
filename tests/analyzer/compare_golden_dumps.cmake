# SPDX-License-Identifier: Apache-2.0
# Regenerates the golden dumps into OUT_DIR and compares them with the checked-in ones.
file(REMOVE_RECURSE ${OUT_DIR})
file(MAKE_DIRECTORY ${OUT_DIR})
execute_process(COMMAND ${GENERATOR} ${OUT_DIR} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "make_golden_dumps failed: ${rc}")
endif()
file(GLOB expected RELATIVE ${GOLDEN_DIR} ${GOLDEN_DIR}/*.dump)
file(GLOB actual RELATIVE ${OUT_DIR} ${OUT_DIR}/*.dump)
if(NOT expected STREQUAL actual)
  message(FATAL_ERROR "golden dump names differ: checked in ${expected}, generated ${actual}")
endif()
foreach(name IN LISTS expected)
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${GOLDEN_DIR}/${name} ${OUT_DIR}/${name}
                  RESULT_VARIABLE differs)
  if(differs)
    message(FATAL_ERROR "${name}: the generator no longer reproduces the checked-in dump; "
                        "if the format changed on purpose, run tests/analyzer/update_golden.sh")
  endif()
endforeach()
