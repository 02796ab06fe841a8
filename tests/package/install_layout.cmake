# SPDX-License-Identifier: Apache-2.0
# `cmake --install BUILD_DIR --prefix P` gives P/bin/leakscope, P/lib/libleakscope.so and the docs;
# the installed `leakscope run` finds P/lib/libleakscope.so by itself and records leaky_sites'
# leaks to the byte (LEAKY_SITES_CHECK); the dump says which recorder wrote it, and report and
# trend show that version; spark-conf ships P/lib's library; a binary without its library names
# every path it tried.
cmake_minimum_required(VERSION 3.25)
set(prefix ${WORKDIR}/prefix)
file(REMOVE_RECURSE ${WORKDIR})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix}
                OUTPUT_QUIET ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc}):\n${err}")
endif()
foreach(file bin/leakscope lib/libleakscope.so share/doc/leakscope/README.md
             share/doc/leakscope/docs/dump-format.md share/doc/leakscope/docs/json.md)
  if(NOT EXISTS ${prefix}/${file})
    message(FATAL_ERROR "cmake --install made no ${prefix}/${file}")
  endif()
endforeach()
set(leakscope ${prefix}/bin/leakscope)
execute_process(COMMAND ${leakscope} --version OUTPUT_VARIABLE version
                OUTPUT_STRIP_TRAILING_WHITESPACE)
string(REGEX REPLACE "^leakscope " "" version_text "${version}")

# The installed binary, no --lib: the exact-bytes check of analyzer_e2e_leaky_sites.
set(LEAKSCOPE ${leakscope})
set(WORKDIR ${WORKDIR}/run)
include(${LEAKY_SITES_CHECK})  # leaves the report of the exit dump in ${json}, its path ${dump}
string(JSON recorded GET "${json}" dump recorder_version)
if(NOT recorded STREQUAL version_text)
  message(FATAL_ERROR "report's recorder_version is '${recorded}', leakscope --version says "
                      "'${version}'")
endif()
# The recorder does not report its own frames; the dump's module list (kModule paths) names the
# library that was loaded.
file(STRINGS ${dump} modules REGEX "libleakscope\\.so")
if(NOT "${prefix}/lib/libleakscope.so" IN_LIST modules)
  message(FATAL_ERROR "${dump} was not recorded by ${prefix}/lib/libleakscope.so: its modules "
                      "name '${modules}'")
endif()
execute_process(COMMAND ${leakscope} trend --format json ${WORKDIR}
                OUTPUT_VARIABLE trend RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "leakscope trend failed (${rc}):\n${err}")
endif()
string(JSON trend_recorded GET "${trend}" processes 0 recorder_version)
if(NOT trend_recorded STREQUAL version_text)
  message(FATAL_ERROR "trend's recorder_version is '${trend_recorded}', not '${version_text}'")
endif()

execute_process(COMMAND ${leakscope} spark-conf --format json OUTPUT_VARIABLE spark
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "leakscope spark-conf failed (${rc}):\n${err}")
endif()
string(JSON shipped GET "${spark}" files 0)
if(NOT shipped STREQUAL "${prefix}/lib/libleakscope.so")
  message(FATAL_ERROR "spark-conf ships '${shipped}', not ${prefix}/lib/libleakscope.so")
endif()

# The binary alone, without the library: one line naming both paths tried, exit status 2.
set(lonely ${WORKDIR}/lonely)
file(COPY ${leakscope} DESTINATION ${lonely}/bin)
execute_process(COMMAND ${lonely}/bin/leakscope run -- true RESULT_VARIABLE rc
                ERROR_VARIABLE err OUTPUT_QUIET)
string(CONCAT expected "leakscope run: cannot find the recorder library libleakscope.so; tried "
       "${lonely}/lib/libleakscope.so, ${lonely}/bin/libleakscope.so (build it, unpack the whole "
       "release tarball, or pass --lib PATH)\n")
if(NOT rc EQUAL 2 OR NOT err STREQUAL expected)
  message(FATAL_ERROR "without its library, leakscope run said (status ${rc}):\n${err}"
                      "instead of:\n${expected}")
endif()
