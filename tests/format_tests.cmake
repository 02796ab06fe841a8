# format tests: the dump encoder, reader and sinks in common/, and a short fuzzing run of the reader.
# Run them all with `ctest -R '^dump_'`.
include(GoogleTest)

add_executable(dump_format_tests
  ${CMAKE_CURRENT_LIST_DIR}/unit/dump_roundtrip_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/unit/dump_reader_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/unit/dump_sinks_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/unit/dump_file_names_test.cc)
target_include_directories(dump_format_tests PRIVATE ${XXHASH_INCLUDE_DIR})
# leakscope_test_support: the sample dumps of test_dump_builder.h (the fuzzer seeds its corpus with
# them too) and the temporary directory of temp_file_fixture.h.
target_link_libraries(dump_format_tests PRIVATE leakscope_dumpfmt leakscope_dump_file_names
                                                leakscope_test_support GTest::gmock
                                                GTest::gtest_main)
gtest_discover_tests(dump_format_tests TEST_PREFIX "dump_format." DISCOVERY_MODE PRE_TEST)
leakscope_label_discovered_tests(dump_format_tests unit)

# libFuzzer needs clang; without it the fuzz test is simply not registered.
find_program(LEAKSCOPE_CLANGXX NAMES clang++ clang++-14)
if(LEAKSCOPE_CLANGXX)
  add_test(NAME dump_reader_fuzz
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/../scripts/fuzz-dump-reader
                   --out ${CMAKE_BINARY_DIR}/fuzz/dump_reader 15)
  set_tests_properties(dump_reader_fuzz PROPERTIES
    ENVIRONMENT "CLANGXX=${LEAKSCOPE_CLANGXX}"
    LABELS fuzz
    TIMEOUT 600)
endif()
