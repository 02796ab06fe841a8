# Unit tests of the recorder's parts (tables, sampler, options), linked against
# leakscope_recorder_core rather than the preload itself.
add_executable(recorder_unit_tests
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/live_table_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/options_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/sampler_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/stack_table_test.cc
)
target_link_libraries(recorder_unit_tests PRIVATE leakscope_recorder_core GTest::gtest_main
                                                  Threads::Threads)
gtest_discover_tests(recorder_unit_tests TEST_PREFIX "recorder." DISCOVERY_MODE PRE_TEST)
