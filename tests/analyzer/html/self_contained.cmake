# SPDX-License-Identifier: Apache-2.0
# Writes the HTML report of the golden dumps and checks it is one self-contained file: nothing
# it would load from elsewhere (no http(s) URL in src, href or url(), no external script, style
# sheet or frame), a Content-Security-Policy that forbids fetches, and page data that parses.
# Usage: cmake -DLEAKSCOPE=bin -DGOLDEN_DIR=dir -DOUT=report.html -P self_contained.cmake
execute_process(COMMAND ${LEAKSCOPE} html -q ${GOLDEN_DIR} -o ${OUT}
                RESULT_VARIABLE status ERROR_VARIABLE stderr)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "leakscope html exited with ${status}:\n${stderr}")
endif()
file(READ ${OUT} page)

set(failures "")
foreach(pattern
    "(src|href)[ \t\n]*=[ \t\n]*[\"']?[ \t\n]*(https?:)?//"
    "url\\([ \t\n]*[\"']?[ \t\n]*(https?:)?//"
    "<script[^>]*[ \t\n]src[ \t\n]*="
    "<link[ \t\n>]"
    "<iframe[ \t\n>]"
    "@import")
  string(REGEX MATCH "${pattern}" found "${page}")
  if(found)
    string(APPEND failures "  refers outside the file: '${found}' (pattern ${pattern})\n")
  endif()
endforeach()
foreach(required
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"
    "<script type=\"application/json\" id=\"leakscope-data\">"
    "<pre id=\"errors\"></pre>")
  string(FIND "${page}" "${required}" at)
  if(at EQUAL -1)
    string(APPEND failures "  missing: ${required}\n")
  endif()
endforeach()

# The data block is the JSON docs/html.md describes.
string(REGEX MATCH "<script type=\"application/json\" id=\"leakscope-data\">\n([^<]*)</script>"
       _ "${page}")
set(data "${CMAKE_MATCH_1}")
string(JSON command ERROR_VARIABLE error GET "${data}" command)
if(error OR NOT command STREQUAL "html")
  string(APPEND failures "  page data: command '${command}' ${error}\n")
endif()
string(JSON suspects ERROR_VARIABLE error LENGTH "${data}" suspects)
if(error OR NOT suspects EQUAL 3)
  string(APPEND failures "  page data: ${suspects} suspects, expected 3 ${error}\n")
endif()
string(JSON processes ERROR_VARIABLE error LENGTH "${data}" processes)
if(error OR NOT processes EQUAL 2)
  string(APPEND failures "  page data: ${processes} processes, expected 2 ${error}\n")
endif()

if(failures)
  message(FATAL_ERROR "${OUT} is not self-contained:\n${failures}")
endif()
string(LENGTH "${page}" size)
message(STATUS "${OUT}: self-contained, ${size} bytes")
