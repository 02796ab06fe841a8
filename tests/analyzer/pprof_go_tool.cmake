# SPDX-License-Identifier: Apache-2.0
# Writes golden dumps as pprof and reads them back with `go tool pprof -top`; the totals and
# the top site must be those of the report. tests/analyzer/CMakeLists.txt skips it (77) without go.
# DUMP is recorded exactly (sample_bytes 1); SAMPLED_DUMP with sampling, where the object
# counts must be the estimated counts, not the sampled ones.
find_program(GO go REQUIRED)

# Checks `go tool pprof -top -sample_index=INDEX` of PROFILE for each EXPECTED substring.
function(expect_top profile index)
  execute_process(COMMAND ${GO} tool pprof -top -sample_index=${index} ${profile}
                  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "go tool pprof failed (${rc}):\n${err}")
  endif()
  foreach(expected IN LISTS ARGN)
    string(FIND "${out}" "${expected}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "go tool pprof -top -sample_index=${index} ${profile}: '${expected}' "
                          "not found in:\n${out}")
    endif()
  endforeach()
endfunction()

foreach(dump ${DUMP} ${SAMPLED_DUMP})
  get_filename_component(name ${dump} NAME_WLE)
  execute_process(COMMAND ${LEAKSCOPE} report -q --format pprof -o ${OUT_DIR}/${name}.pb.gz
                          ${dump} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "leakscope report --format pprof ${dump} failed: ${rc}")
  endif()
endforeach()
get_filename_component(exact ${DUMP} NAME_WLE)
get_filename_component(sampled ${SAMPLED_DUMP} NAME_WLE)

# The exact dump's totals: 14,417,704 live bytes (14079.79 KiB) in 133 allocations, 737
# allocations so far; the leaking site app+0x1100 holds 6 MiB, flat: drop_frames removed the
# recorder's hook beneath it, so the cost starts at the allocating caller.
expect_top(${OUT_DIR}/${exact}.pb.gz inuse_space "of 14079.79kB total"
           "6144kB 43.64% 43.64%     6144kB 43.64%  app+0x1100")
expect_top(${OUT_DIR}/${exact}.pb.gz inuse_objects "of 133 total")
expect_top(${OUT_DIR}/${exact}.pb.gz alloc_objects "of 737 total")
# The sampled dump (weights 1.25): 2,703,360 estimated live bytes (2640 KiB) in 42 estimated
# allocations (33 sampled), 290 estimated allocations so far (232 sampled); the leaking site
# holds 40 of them.
expect_top(${OUT_DIR}/${sampled}.pb.gz inuse_space "of 2640kB total")
expect_top(${OUT_DIR}/${sampled}.pb.gz inuse_objects "of 42 total" "40 95.24%")
expect_top(${OUT_DIR}/${sampled}.pb.gz alloc_objects "of 290 total")

# diff --format pprof of dumps 0 and 5 of process 4242: pprof reads the OLD side as its own
# -diff_base, so percentages are of OLD's 7,384,440 live bytes (7211.37 KiB), and the leaking
# site grew by 5 MiB (from 1 to 6), flat at the caller.
set(old_dump ${DUMP})
string(REPLACE ".5.dump" ".0.dump" old_dump "${DUMP}")
execute_process(COMMAND ${LEAKSCOPE} diff -q --format pprof -o ${OUT_DIR}/diff.pb.gz ${old_dump}
                        ${DUMP} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "leakscope diff --format pprof failed: ${rc}")
endif()
expect_top(${OUT_DIR}/diff.pb.gz inuse_space "of 7211.37kB total"
           "5120kB 71.00% 71.00%     5120kB 71.00%  app+0x1100")
