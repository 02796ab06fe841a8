# Scenario tests: tiny programs (tests/scenarios/*.c) run under libleakscope.so by a GoogleTest
# driver, which checks their dumps through the shared reader. Included from tests/CMakeLists.txt.
pkg_check_modules(LIBELF REQUIRED IMPORTED_TARGET libelf)
find_package(Threads REQUIRED)
include(GoogleTest)

set(SCENARIO_SRC ${CMAKE_CURRENT_SOURCE_DIR}/scenarios)
set(SCENARIO_OUT ${CMAKE_BINARY_DIR}/scenarios)

# Test helpers: running a program under the preload, finding and loading dumps, naming sites.
add_library(leakscope_test_support STATIC
  support/temp_dir.cc
  support/run_program.cc
  support/dump_files.cc
  support/dump_checks.cc
  support/elf_symbols.cc
  support/site_finder.cc
  support/json_value.cc)
target_include_directories(leakscope_test_support PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/support)
target_link_libraries(leakscope_test_support PUBLIC leakscope_dumpfmt GTest::gtest
                                             PRIVATE leakscope_dump_file_names PkgConfig::LIBELF)

# Every allocation at the line and in the function it is written in: -O1 keeps the code honest,
# no inlining of the marked functions, no sibling calls, no malloc/free pairs optimised away, no
# short loops unrolled into several call sites.
set(SCENARIO_FLAGS -O1 -g -fno-omit-frame-pointer -fno-optimize-sibling-calls -fno-builtin
                   -fno-tree-loop-optimize)

set(SCENARIO_TARGETS)
function(scenario_program name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  if(NOT ARG_SOURCES)
    set(ARG_SOURCES ${SCENARIO_SRC}/${name}.c)
  endif()
  add_executable(scenario_${name} ${ARG_SOURCES})
  set_target_properties(scenario_${name} PROPERTIES OUTPUT_NAME ${name}
                                                    RUNTIME_OUTPUT_DIRECTORY ${SCENARIO_OUT})
  target_compile_options(scenario_${name} PRIVATE ${SCENARIO_FLAGS})
  target_link_libraries(scenario_${name} PRIVATE ${ARG_LIBS})
  set(SCENARIO_TARGETS ${SCENARIO_TARGETS} scenario_${name} PARENT_SCOPE)
endfunction()

function(scenario_library name)
  cmake_parse_arguments(ARG "" "" "LIBS" ${ARGN})
  add_library(scenario_lib${name} SHARED ${SCENARIO_SRC}/lib${name}.c)
  set_target_properties(scenario_lib${name} PROPERTIES OUTPUT_NAME ${name}
                                                       LIBRARY_OUTPUT_DIRECTORY ${SCENARIO_OUT}
                                                       C_VISIBILITY_PRESET hidden)
  target_compile_options(scenario_lib${name} PRIVATE ${SCENARIO_FLAGS})
  target_link_libraries(scenario_lib${name} PRIVATE ${ARG_LIBS})
  set(SCENARIO_TARGETS ${SCENARIO_TARGETS} scenario_lib${name} PARENT_SCOPE)
endfunction()

scenario_library(leaky)
scenario_library(zuser LIBS ZLIB::ZLIB)
scenario_library(early)
scenario_library(forkling)

scenario_program(leak_known_sizes)
scenario_program(free_all)
scenario_program(alloc_family)
scenario_program(cxx_new SOURCES ${SCENARIO_SRC}/cxx_new.cc)
scenario_program(threads_cross_free LIBS Threads::Threads)
scenario_program(fork_exec LIBS ${CMAKE_DL_LIBS})
scenario_program(dlopen_leak LIBS ${CMAKE_DL_LIBS})
# The same program with a RUNPATH: dlopen("libleaky.so") is found only through it, which glibc
# searches only when it sees this program as dlopen's caller.
scenario_program(dlopen_runpath SOURCES ${SCENARIO_SRC}/dlopen_leak.c LIBS ${CMAKE_DL_LIBS})
set_target_properties(scenario_dlopen_runpath PROPERTIES SKIP_BUILD_RPATH TRUE)
target_link_options(scenario_dlopen_runpath PRIVATE "LINKER:--enable-new-dtags,-rpath,${SCENARIO_OUT}")
scenario_program(calloc_overflow)
scenario_program(zlib_streams LIBS ZLIB::ZLIB)
scenario_program(zlib_window LIBS ZLIB::ZLIB)
scenario_program(zlib_dlopen LIBS ${CMAKE_DL_LIBS})
scenario_program(foreign_free LIBS scenario_libearly)
scenario_program(sampled_estimate)
scenario_program(output_identity LIBS Threads::Threads)
scenario_program(trigger)
scenario_program(periodic)
scenario_program(stacks)
scenario_program(jit_frames)
scenario_program(jemalloc_zlib LIBS ZLIB::ZLIB ${CMAKE_DL_LIBS})
scenario_program(fork_storm LIBS ${CMAKE_DL_LIBS} Threads::Threads)
scenario_program(fd_churn LIBS Threads::Threads)
scenario_program(stderr_reopened)
scenario_program(dir_games)

# The Java program is compiled at build time; the JVMs are found at configure time.
find_program(SCENARIO_JAVA_EXE java)
find_program(SCENARIO_JAVAC_EXE javac)
set(SCENARIO_TEMURIN_JAVA /usr/lib/jvm/temurin-25-jdk-amd64/bin/java CACHE FILEPATH
    "A JVM with zlib bundled in libzip.so; its test is skipped when it is absent")
set(SCENARIO_JAVA_CLASSES ${SCENARIO_OUT}/java)
if(SCENARIO_JAVAC_EXE AND SCENARIO_JAVA_EXE)
  add_custom_command(
    OUTPUT ${SCENARIO_JAVA_CLASSES}/Churn.class
    COMMAND ${SCENARIO_JAVAC_EXE} --release 17 -d ${SCENARIO_JAVA_CLASSES}
            ${SCENARIO_SRC}/java/Churn.java
    DEPENDS ${SCENARIO_SRC}/java/Churn.java
    COMMENT "javac Churn.java")
  add_custom_target(scenario_java ALL DEPENDS ${SCENARIO_JAVA_CLASSES}/Churn.class)
  list(APPEND SCENARIO_TARGETS scenario_java)
else()
  message(WARNING "java/javac not found: the Java scenario tests will fail (install a JDK)")
  set(SCENARIO_JAVA_EXE "")
endif()

add_executable(scenario_test
  ${SCENARIO_SRC}/scenario_alloc_test.cc
  ${SCENARIO_SRC}/scenario_process_test.cc
  ${SCENARIO_SRC}/scenario_fork_storm_test.cc
  ${SCENARIO_SRC}/scenario_zlib_test.cc
  ${SCENARIO_SRC}/scenario_options_test.cc
  ${SCENARIO_SRC}/scenario_dump_dir_test.cc
  ${SCENARIO_SRC}/scenario_output_test.cc
  ${SCENARIO_SRC}/scenario_walk_test.cc
  ${SCENARIO_SRC}/scenario_allocator_test.cc
  ${SCENARIO_SRC}/scenario_fds_test.cc)
set_target_properties(scenario_test PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${SCENARIO_OUT})
target_link_libraries(scenario_test PRIVATE leakscope_test_support GTest::gtest_main)
target_compile_definitions(scenario_test PRIVATE
  LEAKSCOPE_PRELOAD="$<TARGET_FILE:leakscope_preload>"
  SCENARIO_DIR="${SCENARIO_OUT}"
  SCENARIO_JAVA="${SCENARIO_JAVA_EXE}"
  SCENARIO_TEMURIN_JAVA="${SCENARIO_TEMURIN_JAVA}"
  SCENARIO_JAVA_CLASSES="${SCENARIO_JAVA_CLASSES}")
add_dependencies(scenario_test leakscope_preload ${SCENARIO_TARGETS})

gtest_discover_tests(scenario_test
  DISCOVERY_MODE PRE_TEST
  PROPERTIES LABELS scenario TIMEOUT 60)
