# Writes the golden dump as pprof and reads it back with `go tool pprof -top`; the totals and
# the top site must be those of the report. analyzer_tests.cmake skips it (77) without go.
find_program(GO go REQUIRED)
execute_process(COMMAND ${LEAKSCOPE} report -q --format pprof -o ${OUT} ${DUMP} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "leakscope report --format pprof failed: ${rc}")
endif()
foreach(index inuse_space inuse_objects alloc_objects)
  execute_process(COMMAND ${GO} tool pprof -top -sample_index=${index} ${OUT}
                  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "go tool pprof failed (${rc}):\n${err}")
  endif()
  set(out_${index} "${out}")
endforeach()
# The report's totals: 14,417,704 live bytes (14079.79 KiB) in 133 allocations, 737 allocations
# so far; the leaking site app+0x1100 holds 6 MiB.
set(expect_inuse_space "of 14079.79kB total" "6144kB 43.64%  app+0x1100")
set(expect_inuse_objects "of 133 total")
set(expect_alloc_objects "of 737 total")
foreach(index inuse_space inuse_objects alloc_objects)
  foreach(expected IN LISTS expect_${index})
    string(FIND "${out_${index}}" "${expected}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "go tool pprof -top -sample_index=${index}: '${expected}' not found "
                          "in:\n${out_${index}}")
    endif()
  endforeach()
endforeach()
