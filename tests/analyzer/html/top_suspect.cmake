# SPDX-License-Identifier: Apache-2.0
# Prints the allocating caller of the top suspect of `leakscope trend --format json` output:
# cmake -DJSON_FILE=trend.json -P top_suspect.cmake
file(READ ${JSON_FILE} json)
string(JSON caller GET "${json}" suspects 0 caller_index)
string(JSON name GET "${json}" suspects 0 frames ${caller} function)
execute_process(COMMAND ${CMAKE_COMMAND} -E echo "${name}")
