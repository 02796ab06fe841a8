# SPDX-License-Identifier: Apache-2.0
# Runs one golden case: `LEAKSCOPE ARGS` in WORKDIR; stdout must equal EXPECTED_OUT and stderr
# EXPECTED_ERR, byte for byte. Invoked by CTest with -D variables (see tests/analyzer/CMakeLists.txt).
separate_arguments(args UNIX_COMMAND "${ARGS}")
execute_process(COMMAND ${LEAKSCOPE} ${args}
                WORKING_DIRECTORY ${WORKDIR}
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "leakscope ${ARGS}: exit status ${rc}\n${err}")
endif()
# JSON names the analyzer's version, which changes with every commit: golden files say VERSION.
string(REGEX REPLACE "\"leakscope_version\": \"[^\"]*\"" "\"leakscope_version\": \"VERSION\""
       out "${out}")
set(actual_out ${CMAKE_CURRENT_BINARY_DIR}/${NAME}.out)
set(actual_err ${CMAKE_CURRENT_BINARY_DIR}/${NAME}.err)
file(WRITE ${actual_out} "${out}")
file(WRITE ${actual_err} "${err}")
foreach(kind out err)
  execute_process(COMMAND diff -u ${EXPECTED_${kind}} ${actual_${kind}}
                  OUTPUT_VARIABLE delta RESULT_VARIABLE differs)
  if(differs)
    message(FATAL_ERROR "leakscope ${ARGS}: std${kind} differs from the golden file "
                        "(regenerate with tests/analyzer/update_golden.sh if intended):\n${delta}")
  endif()
endforeach()
