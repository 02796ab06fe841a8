# SPDX-License-Identifier: Apache-2.0
# leakscope_label_discovered_tests(TARGET LABEL...): gives every test that gtest_discover_tests
# found in TARGET these labels (`ctest -L unit` is the quick tier, scripts/test --quick).
# gtest_discover_tests cannot do it for more than one label: CMake 3.25 writes its PROPERTIES
# unquoted, so LABELS "a;b" becomes the label a and a property named b. This script runs after
# the discovered tests are added (TEST_INCLUDE_FILES are read in order) and sets the whole list.
function(leakscope_label_discovered_tests target)
  set(script "${CMAKE_CURRENT_BINARY_DIR}/${target}_labels.cmake")
  file(WRITE "${script}"
       "foreach(test IN LISTS ${target}_TESTS)\n"
       "  set_tests_properties(\"\${test}\" PROPERTIES LABELS \"${ARGN}\")\n"
       "endforeach()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${script}")
endfunction()
