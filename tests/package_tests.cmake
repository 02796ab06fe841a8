# Release tests: one version in the analyzer, the library and the dumps; `cmake --install` gives
# an installation whose `leakscope run` finds its own library and records exactly; bin/leakscope
# needs nothing newer than glibc 2.17. Run them with `ctest -L package`.
set(PACKAGE_TEST_DIR ${CMAKE_CURRENT_LIST_DIR}/package)

add_test(NAME package_version_matches_library
         COMMAND ${CMAKE_COMMAND} -DLEAKSCOPE=$<TARGET_FILE:leakscope>
                 -DLIBRARY=$<TARGET_FILE:leakscope_preload> -DPROJECT_VERSION=${PROJECT_VERSION}
                 -P ${PACKAGE_TEST_DIR}/version_matches_library.cmake)

# Installs the build into a temporary prefix and runs leaky_sites with the installed binary
# (the exact-bytes check of analyzer_e2e_leaky_sites, through P/lib/libleakscope.so).
add_test(NAME package_install_layout
         COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${CMAKE_BINARY_DIR}
                 -DPROGRAM=$<TARGET_FILE:leaky_sites>
                 -DWORKDIR=${CMAKE_CURRENT_BINARY_DIR}/package_install_layout
                 -DLEAKY_SITES_CHECK=${CMAKE_CURRENT_LIST_DIR}/analyzer/run_leaky_sites.cmake
                 -P ${PACKAGE_TEST_DIR}/install_layout.cmake)

# The analyzer's glibc floor: the same check as the library's (glibc_floor_library).
add_test(NAME package_analyzer_glibc_floor
         COMMAND ${PROJECT_SOURCE_DIR}/scripts/check-glibc-floor $<TARGET_FILE:leakscope>)

# ...and shown: it runs in an empty root directory (a Java golden dump: it names its recorder).
add_test(NAME package_analyzer_runs_in_empty_root
         COMMAND sh ${PACKAGE_TEST_DIR}/empty_root.sh $<TARGET_FILE:leakscope>
                 ${CMAKE_CURRENT_LIST_DIR}/analyzer/golden_java/leakscope.6161.2.dump
                 ${CMAKE_CURRENT_BINARY_DIR}/package_empty_root)
set_tests_properties(package_analyzer_runs_in_empty_root PROPERTIES SKIP_RETURN_CODE 77)

set_tests_properties(package_version_matches_library package_install_layout
                     package_analyzer_glibc_floor package_analyzer_runs_in_empty_root
                     PROPERTIES LABELS package)
