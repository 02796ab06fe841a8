# The HTML report (`leakscope html`): its C++ units, a report of the golden dumps
# checked for being self-contained, and the same report opened in headless Chromium (skipped
# when Chromium is not installed). `ctest -L html` runs them.
set(HTML_TEST_DIR ${CMAKE_CURRENT_LIST_DIR}/html)
set(HTML_GOLDEN_DIR ${CMAKE_CURRENT_LIST_DIR}/analyzer/golden)

add_executable(html_unit_tests ${HTML_TEST_DIR}/html_report_test.cc ${HTML_TEST_DIR}/count_opens.cc)
target_link_libraries(html_unit_tests PRIVATE leakscope_analyzer leakscope_test_support
                                              GTest::gtest_main)
target_compile_definitions(html_unit_tests PRIVATE
  LEAKSCOPE_BIN="$<TARGET_FILE:leakscope>" GOLDEN_DIR="${HTML_GOLDEN_DIR}")
add_dependencies(html_unit_tests leakscope)
include(GoogleTest)
gtest_discover_tests(html_unit_tests TEST_PREFIX "html." DISCOVERY_MODE PRE_TEST
                     PROPERTIES LABELS html)
leakscope_label_discovered_tests(html_unit_tests html unit)

add_test(NAME html_self_contained
         COMMAND ${CMAKE_COMMAND} -DLEAKSCOPE=$<TARGET_FILE:leakscope>
                 -DGOLDEN_DIR=${HTML_GOLDEN_DIR} -DOUT=${CMAKE_BINARY_DIR}/html_report.html
                 -P ${HTML_TEST_DIR}/self_contained.cmake)
set_tests_properties(html_self_contained PROPERTIES LABELS html)

add_test(NAME html_chromium
         COMMAND ${HTML_TEST_DIR}/chromium_test.sh $<TARGET_FILE:leakscope> ${HTML_GOLDEN_DIR}
                 ${CMAKE_BINARY_DIR})
set_tests_properties(html_chromium PROPERTIES LABELS html SKIP_RETURN_CODE 77 TIMEOUT 300)
