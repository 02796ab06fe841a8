# SPDX-License-Identifier: Apache-2.0
# End to end: batch_leaker under the preload, every allocation recorded (the slope is then
# exact up to timing) and a dump every 500 ms; `leakscope trend
# --format json` must rank LeakOneBatch first with the program's leak rate (within 10%) and not
# list Churn as a suspect. Skipped (77) by
# tests/analyzer/CMakeLists.txt while the preload library is not built.
file(REMOVE_RECURSE ${WORKDIR})
file(MAKE_DIRECTORY ${WORKDIR})
execute_process(COMMAND ${LEAKSCOPE} run --dir ${WORKDIR} --interval 500ms --sample-bytes 1 -- ${PROGRAM}
                OUTPUT_VARIABLE truth ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT truth MATCHES "RATE ([0-9]+)")
  message(FATAL_ERROR "batch_leaker under the preload failed (${rc}):\n${truth}\n${err}")
endif()
set(rate ${CMAKE_MATCH_1})
execute_process(COMMAND ${LEAKSCOPE} trend --format json ${WORKDIR}
                OUTPUT_VARIABLE json ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "leakscope trend failed (${rc}):\n${err}")
endif()
file(WRITE ${WORKDIR}/trend.json "${json}")
string(JSON n LENGTH "${json}" suspects)
if(n EQUAL 0)
  message(FATAL_ERROR "no suspects; see ${WORKDIR}/trend.json")
endif()
string(JSON caller GET "${json}" suspects 0 caller_index)
string(JSON name GET "${json}" suspects 0 frames ${caller} function)
string(JSON growth GET "${json}" suspects 0 growth_bytes_per_min)
if(NOT name MATCHES "LeakOneBatch")
  message(FATAL_ERROR "first suspect is ${name}, not LeakOneBatch; see ${WORKDIR}/trend.json")
endif()
# growth within 10% of the program's rate (integer arithmetic: |growth - rate| * 10 <= rate).
string(REGEX REPLACE "\\..*" "" growth_int "${growth}")
math(EXPR delta "${growth_int} - ${rate}")
if(delta LESS 0)
  math(EXPR delta "-${delta}")
endif()
math(EXPR delta10 "${delta} * 10")
if(delta10 GREATER rate)
  message(FATAL_ERROR "LeakOneBatch grows ${growth} bytes/min, the program leaked ${rate}")
endif()
math(EXPR last "${n} - 1")
foreach(i RANGE ${last})
  string(JSON caller GET "${json}" suspects ${i} caller_index)
  string(JSON name GET "${json}" suspects ${i} frames ${caller} function)
  if(name MATCHES "Churn")
    message(FATAL_ERROR "Churn is listed as a leak suspect; see ${WORKDIR}/trend.json")
  endif()
endforeach()
