# Unit tests of the recorder's parts (tables, sampler, options), linked against
# leakscope_recorder_core rather than the preload itself.
add_executable(recorder_unit_tests
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/fork_gate_test.cc
  ${PROJECT_SOURCE_DIR}/preload/fork_gate.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/dump_file_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/dump_retention_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/frame_shape_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/live_table_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/module_table_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/option_values_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/options_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/option_docs_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/process_filter_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/region_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/sampler_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/stack_table_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/stack_walker_test.cc
)
# leakscope_test_support: temporary directories (dump_file_test.cc).
target_link_libraries(recorder_unit_tests PRIVATE leakscope_recorder_unwind leakscope_test_support
                                                  GTest::gtest_main Threads::Threads
                                                  PkgConfig::UNWIND)
# A library to dlopen and dlclose (module_table_test.cc).
# The README the option table is checked against (option_docs_test.cc).
target_compile_definitions(recorder_unit_tests PRIVATE
                           TEST_LIBRARY="$<TARGET_FILE:scenario_libleaky>"
                           LEAKSCOPE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
add_dependencies(recorder_unit_tests scenario_libleaky)
gtest_discover_tests(recorder_unit_tests TEST_PREFIX "recorder." DISCOVERY_MODE PRE_TEST)
leakscope_label_discovered_tests(recorder_unit_tests unit)

# The stack-walk tests once more, with every module lookup answered by the recorder's own table
# (what glibc < 2.35 gets) instead of _dl_find_object: the walks must give the same frames.
add_test(NAME recorder.walks_through_module_table
         COMMAND recorder_unit_tests --gtest_filter=FrameShape*:StackWalker*:StackBounds*)
set_tests_properties(recorder.walks_through_module_table PROPERTIES
                     ENVIRONMENT LEAKSCOPE_TEST_MODULE_TABLE=1 LABELS unit)

# libleakscope.so loads on glibc 2.17 and later: glibc's libraries only, no newer symbol version.
add_test(NAME glibc_floor_library
         COMMAND ${PROJECT_SOURCE_DIR}/scripts/check-glibc-floor $<TARGET_FILE:leakscope_preload>)

# The sampled path prefetches the live-table slot it will write while the stack is walked.
# Compilers may delete a prefetch without a word (GCC 12 did, costing exact mode 15 %): check
# that the built library still has one in SampleAllocation.
find_program(OBJDUMP_FOR_TESTS objdump)
if(OBJDUMP_FOR_TESTS)
  add_test(NAME recorder.sampled_path_keeps_its_prefetch
           COMMAND sh -c "'${OBJDUMP_FOR_TESTS}' -d -C --no-show-raw-insn \"$1\" | awk '/<leakscope::SampleAllocation[(].*>:$/,/^$/' | grep -q prefetch"
                   check $<TARGET_FILE:leakscope_preload>)
endif()
