# Analyzer tests: unit tests, golden files (checked-in dumps and their expected outputs), bad
# input, pprof read back by `go tool pprof`, and end-to-end runs of real programs under the
# preload. Regenerate the golden files after an intended change with
# tests/analyzer/update_golden.sh BUILD_DIR (see tests/analyzer/golden/cases.txt).
set(ANALYZER_TEST_DIR ${CMAKE_CURRENT_LIST_DIR}/analyzer)
set(ANALYZER_GOLDEN_DIR ${ANALYZER_TEST_DIR}/golden)

# The generators build their dumps with tests/support/test_dump_builder.h (header-only, no GoogleTest).
add_executable(make_golden_dumps ${ANALYZER_TEST_DIR}/make_golden_dumps.cc)
target_link_libraries(make_golden_dumps PRIVATE leakscope_dumpfmt)
target_include_directories(make_golden_dumps PRIVATE ${CMAKE_CURRENT_LIST_DIR}/support)

# The JVM's golden dumps (Java frames) live in golden_java/, beside golden/, so that the
# `trend golden` cases (which read directories recursively) keep their input.
add_executable(make_java_golden_dumps ${ANALYZER_TEST_DIR}/make_java_golden_dumps.cc)
target_link_libraries(make_java_golden_dumps PRIVATE leakscope_dumpfmt)
target_include_directories(make_java_golden_dumps PRIVATE ${CMAKE_CURRENT_LIST_DIR}/support)

add_executable(analyzer_unit_tests
  ${ANALYZER_TEST_DIR}/analyzer_units_test.cc
  ${ANALYZER_TEST_DIR}/bad_input_test.cc
  ${ANALYZER_TEST_DIR}/cli_test.cc
  ${ANALYZER_TEST_DIR}/formats_test.cc
  ${ANALYZER_TEST_DIR}/hostile_input_test.cc
  ${ANALYZER_TEST_DIR}/java_frames_test.cc
  ${ANALYZER_TEST_DIR}/spark_conf_test.cc
  ${ANALYZER_TEST_DIR}/symbolizer_test.cc
  ${ANALYZER_TEST_DIR}/text_escape_test.cc
  ${ANALYZER_TEST_DIR}/trend_test.cc
  ${ANALYZER_TEST_DIR}/unpack_test.cc
  ${ANALYZER_TEST_DIR}/zlib_status_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/support/json_value_test.cc
)
# leakscope_test_support: temporary directories, running the leakscope binary, building dumps,
# reading JSON; unpack_test.cc also uses the unit tests' fixture (temp_file_fixture.h).
target_link_libraries(analyzer_unit_tests PRIVATE leakscope_analyzer leakscope_test_support
                                                  GTest::gtest_main)
target_include_directories(analyzer_unit_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/unit)
target_compile_definitions(analyzer_unit_tests PRIVATE
  LEAKSCOPE_BIN="$<TARGET_FILE:leakscope>" GOLDEN_DIR="${ANALYZER_GOLDEN_DIR}")
# The symbolizer test reads its own line numbers and inlined frames: it needs -O2 -g whatever
# the build type.
set_source_files_properties(${ANALYZER_TEST_DIR}/symbolizer_test.cc PROPERTIES
  COMPILE_OPTIONS "-O2;-g")
add_dependencies(analyzer_unit_tests leakscope)
include(GoogleTest)
gtest_discover_tests(analyzer_unit_tests TEST_PREFIX "analyzer." DISCOVERY_MODE PRE_TEST
                     PROPERTIES LABELS analyzer)
leakscope_label_discovered_tests(analyzer_unit_tests analyzer unit)

# ReadDumpProcess, the reader trend uses to order a series (common/dump_reader.cc).
add_executable(dump_process_tests ${CMAKE_CURRENT_LIST_DIR}/common/dump_process_test.cc)
target_link_libraries(dump_process_tests PRIVATE leakscope_dumpfmt leakscope_test_support GTest::gmock
                                                 GTest::gtest_main)
gtest_discover_tests(dump_process_tests TEST_PREFIX "dump_format." DISCOVERY_MODE PRE_TEST
                     PROPERTIES LABELS analyzer)
leakscope_label_discovered_tests(dump_process_tests analyzer unit)

# Golden files: one test per line of golden/cases.txt.
file(STRINGS ${ANALYZER_GOLDEN_DIR}/cases.txt golden_cases REGEX "^[^#]")
foreach(line IN LISTS golden_cases)
  string(REGEX MATCH "^([^ ]+) (.*)$" _ "${line}")
  set(name ${CMAKE_MATCH_1})
  add_test(NAME analyzer_golden_${name}
           COMMAND ${CMAKE_COMMAND} -DLEAKSCOPE=$<TARGET_FILE:leakscope> "-DARGS=${CMAKE_MATCH_2}"
                   -DNAME=${name} -DWORKDIR=${ANALYZER_TEST_DIR}
                   -DEXPECTED_out=${ANALYZER_GOLDEN_DIR}/${name}.out
                   -DEXPECTED_err=${ANALYZER_GOLDEN_DIR}/${name}.err
                   -P ${ANALYZER_TEST_DIR}/run_golden.cmake)
  set_tests_properties(analyzer_golden_${name} PROPERTIES LABELS analyzer)
endforeach()
# The generator must still reproduce the checked-in dumps byte for byte: a change in the
# encoder's output is then a deliberate format change, not an accident.
add_test(NAME analyzer_golden_dumps_reproducible
         COMMAND ${CMAKE_COMMAND} -DGENERATOR=$<TARGET_FILE:make_golden_dumps>
                 -DGOLDEN_DIR=${ANALYZER_GOLDEN_DIR} -DOUT_DIR=${CMAKE_CURRENT_BINARY_DIR}/golden_dumps
                 -P ${ANALYZER_TEST_DIR}/compare_golden_dumps.cmake)
set_tests_properties(analyzer_golden_dumps_reproducible PROPERTIES LABELS analyzer)
add_test(NAME analyzer_golden_java_dumps_reproducible
         COMMAND ${CMAKE_COMMAND} -DGENERATOR=$<TARGET_FILE:make_java_golden_dumps>
                 -DGOLDEN_DIR=${ANALYZER_TEST_DIR}/golden_java
                 -DOUT_DIR=${CMAKE_CURRENT_BINARY_DIR}/golden_java_dumps
                 -P ${ANALYZER_TEST_DIR}/compare_golden_dumps.cmake)
set_tests_properties(analyzer_golden_java_dumps_reproducible PROPERTIES LABELS analyzer)

# pprof output read back by Go's pprof (skipped when go is not installed).
# CMake 3.25 scripts cannot choose their exit status: skip_unless.sh returns 77 (skipped).
add_test(NAME analyzer_pprof_go_tool
         COMMAND ${ANALYZER_TEST_DIR}/skip_unless.sh program go -- ${CMAKE_COMMAND} -DLEAKSCOPE=$<TARGET_FILE:leakscope>
                 -DDUMP=${ANALYZER_GOLDEN_DIR}/leakscope.4242.5.dump
                 -DSAMPLED_DUMP=${ANALYZER_GOLDEN_DIR}/leakscope.5151.3.dump
                 -DOUT_DIR=${CMAKE_CURRENT_BINARY_DIR}
                 -P ${ANALYZER_TEST_DIR}/pprof_go_tool.cmake)
set_tests_properties(analyzer_pprof_go_tool PROPERTIES LABELS analyzer SKIP_RETURN_CODE 77)

# End to end under the preload (skipped until <build>/lib/libleakscope.so exists).
set(ANALYZER_PRELOAD ${CMAKE_LIBRARY_OUTPUT_DIRECTORY}/libleakscope.so)
foreach(program leaky_sites batch_leaker)
  add_executable(${program} ${ANALYZER_TEST_DIR}/${program}.cc)
  # Frames and lines must be exact whatever the build type; no frame-pointer games needed.
  target_compile_options(${program} PRIVATE -O1 -g -fno-omit-frame-pointer)
endforeach()
set(skip_without_preload ${ANALYZER_TEST_DIR}/skip_unless.sh file ${ANALYZER_PRELOAD} --)
add_test(NAME analyzer_e2e_leaky_sites
         COMMAND ${skip_without_preload} ${CMAKE_COMMAND} -DLEAKSCOPE=$<TARGET_FILE:leakscope>
                 -DPROGRAM=$<TARGET_FILE:leaky_sites> -DPRELOAD=${ANALYZER_PRELOAD}
                 -DWORKDIR=${CMAKE_CURRENT_BINARY_DIR}/e2e_leaky_sites
                 -P ${ANALYZER_TEST_DIR}/run_leaky_sites.cmake)
add_test(NAME analyzer_e2e_batch_trend
         COMMAND ${skip_without_preload} ${CMAKE_COMMAND} -DLEAKSCOPE=$<TARGET_FILE:leakscope>
                 -DPROGRAM=$<TARGET_FILE:batch_leaker> -DPRELOAD=${ANALYZER_PRELOAD}
                 -DWORKDIR=${CMAKE_CURRENT_BINARY_DIR}/e2e_batch_trend
                 -P ${ANALYZER_TEST_DIR}/run_batch_trend.cmake)
# Spark: spark-conf's output parsed back as a shell reads it, and a simulated YARN container
# running batch_leaker with exactly those settings (dumps in the container log directory, trend
# over them, and back through `yarn logs` output and `leakscope unpack`).
add_test(NAME analyzer_spark_conf_parse_back
         COMMAND ${skip_without_preload} sh ${ANALYZER_TEST_DIR}/spark_conf_parse_back.sh
                 $<TARGET_FILE:leakscope> ${CMAKE_CURRENT_BINARY_DIR}/spark_conf)
add_test(NAME analyzer_e2e_yarn_container
         COMMAND ${skip_without_preload} sh ${ANALYZER_TEST_DIR}/yarn_container_test.sh
                 $<TARGET_FILE:leakscope> $<TARGET_FILE:batch_leaker>
                 ${CMAKE_CURRENT_BINARY_DIR}/yarn_container)
set_tests_properties(analyzer_e2e_leaky_sites analyzer_e2e_batch_trend
                     analyzer_spark_conf_parse_back analyzer_e2e_yarn_container PROPERTIES
                     LABELS "analyzer;e2e" SKIP_RETURN_CODE 77)

# Scale: `trend` over 20 dumps of 20,000 stacks must finish well within the timeout and rank
# the 200 steady leakers first (the full 100 x 50,000 measurement is in
# tests/analyzer/README.md).
add_executable(make_scale_dumps ${ANALYZER_TEST_DIR}/make_scale_dumps.cc)
target_link_libraries(make_scale_dumps PRIVATE leakscope_dumpfmt)
add_test(NAME analyzer_trend_scale
         COMMAND ${CMAKE_COMMAND} -DLEAKSCOPE=$<TARGET_FILE:leakscope>
                 -DGENERATOR=$<TARGET_FILE:make_scale_dumps>
                 -DWORKDIR=${CMAKE_CURRENT_BINARY_DIR}/trend_scale
                 -P ${ANALYZER_TEST_DIR}/run_trend_scale.cmake)
set_tests_properties(analyzer_trend_scale PROPERTIES LABELS analyzer TIMEOUT 60)

# `leakscope run` adds -agentpath to a java command (a fake bin/java: no JDK needed).
add_test(NAME analyzer_run_java_args
         COMMAND sh ${ANALYZER_TEST_DIR}/run_java_args.sh $<TARGET_FILE:leakscope>
                 ${CMAKE_CURRENT_BINARY_DIR}/run_java_args)
set_tests_properties(analyzer_run_java_args PROPERTIES LABELS analyzer)
