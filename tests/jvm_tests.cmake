# JVM end-to-end tests (label jvm): examples/java/StreamingJob runs under libleakscope.so on
# OpenJDK 17 and Temurin 25, and tests/jvm/jvm_e2e.py compares what `leakscope report|trend
# --format json` finds with the truth the job prints. Included from tests/CMakeLists.txt.
#
# A missing JDK, javac (StreamingJob not built) or python3 makes a test report "Skipped" (exit
# code 77), never pass. Each test takes 5-15 s; all of them about 1.5 min on 2 cores.
set(JVM_OPENJDK17 /usr/bin/java CACHE FILEPATH "OpenJDK 17 java (system zlib) for the JVM tests")
set(JVM_TEMURIN25 /usr/lib/jvm/temurin-25-jdk-amd64/bin/java
    CACHE FILEPATH "Temurin 25 java (zlib bundled in libzip.so) for the JVM tests")
find_program(JVM_PYTHON3 python3)

# The JVM tests' own workloads, tests/jvm/*.java (DeoptStorm: deoptimization while allocating
# native memory; AgentStress: the agent under threads, JIT, GC and class unloading;
# ClassUnloadJob and Unloadable: Java frames of an unloaded class), compiled into
# build/tests/jvm-classes, where scripts/soak-jvm finds them too.
find_package(Java 17 COMPONENTS Development QUIET)
set(JVM_WORKLOAD_CLASSES ${CMAKE_CURRENT_BINARY_DIR}/jvm-classes)
if(Java_JAVAC_EXECUTABLE)
  file(GLOB JVM_WORKLOAD_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/jvm/*.java)
  leakscope_java_classes(TARGET jvm_workloads OUT ${JVM_WORKLOAD_CLASSES} RELEASE 17
                         MAIN DeoptStorm SOURCES ${JVM_WORKLOAD_SOURCES}
                         COMMENT "Compiling the JVM test workloads (javac)")
else()
  message(STATUS "No javac 17+: tests/jvm/*.java (the soak's workloads) is not built")
endif()

set(JVM_E2E_COMMON
  --classes ${CMAKE_BINARY_DIR}/examples/java
  --preload $<TARGET_FILE:leakscope_preload>
  --leakscope $<TARGET_FILE:leakscope>)

# jvm_test(NAME JAVA java MODE accuracy|safety [TIMEOUT s] ARGS ...)
function(jvm_test name)
  cmake_parse_arguments(ARG "" "JAVA;MODE;TIMEOUT" "ARGS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 90)
  endif()
  if(JVM_PYTHON3)
    set(command ${JVM_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/jvm/jvm_e2e.py ${ARG_MODE}
                --java ${ARG_JAVA} ${JVM_E2E_COMMON}
                --workdir ${CMAKE_CURRENT_BINARY_DIR}/jvm/${name} ${ARG_ARGS})
  else()
    set(command sh -c "echo 'python3 not found: JVM test skipped'; exit 77")
  endif()
  add_test(NAME ${name} COMMAND ${command})
  set_tests_properties(${name} PROPERTIES LABELS jvm SKIP_RETURN_CODE 77
                                          TIMEOUT ${ARG_TIMEOUT})
endfunction()

# 60 batches of 100 ms, a dump every 500 ms: 180 leaked deflate and 480 leaked inflate streams.
set(JVM_JOB "--quiet --batch-ms 100 --batches 60")

# (a) Every allocation recorded: per opening native the open streams equal the job's counts
# exactly; the bytes the streams hold (kStreams open_bytes) and the live bytes at the natives'
# sites are within 1 % of the truth; the two natives rank first; no suspect for closed streams.
jvm_test(jvm_openjdk17_exact JAVA ${JVM_OPENJDK17} MODE accuracy
         ARGS --sample-bytes 1 "--job-args=${JVM_JOB}"
              --bytes 0.01 --kind-bytes 0.01 --stream-bytes 0.01)

# (b) Temurin 25 bundles zlib: no stream records, and the dump says zlib was not intercepted;
# with default sampling the leaking natives still rank first and hold the leak within 20 %.
jvm_test(jvm_temurin25_sampled JAVA ${JVM_TEMURIN25} MODE accuracy
         ARGS --bundled-zlib "--job-args=${JVM_JOB}" --bytes 0.20)

# (c) Default sampling on OpenJDK 17: leaked bytes within 15 %.
jvm_test(jvm_openjdk17_sampled JAVA ${JVM_OPENJDK17} MODE accuracy
         ARGS "--job-args=${JVM_JOB}" --bytes 0.15)

# (d) Safety: a short job under the preload, every allocation unwound (the most stack walks,
# through interpreter, compiled and deoptimisation frames) and a dump every 200 ms: no crash, no
# hang, the same output as without the preload. scripts/soak-jvm repeats these many times.
set(JVM_SAFETY_ARGS --sample-bytes 1 --interval 200ms --timeout 60
                    "--job-args=--quiet --batch-ms 50 --batches 20")
jvm_test(jvm_safety_g1 JAVA ${JVM_OPENJDK17} MODE safety
         ARGS ${JVM_SAFETY_ARGS} --jvm-opt=-XX:+UseG1GC)
jvm_test(jvm_safety_g1_pfp JAVA ${JVM_OPENJDK17} MODE safety
         ARGS ${JVM_SAFETY_ARGS} --jvm-opt=-XX:+UseG1GC --jvm-opt=-XX:+PreserveFramePointer)
jvm_test(jvm_safety_parallel JAVA ${JVM_OPENJDK17} MODE safety
         ARGS ${JVM_SAFETY_ARGS} --jvm-opt=-XX:+UseParallelGC)
jvm_test(jvm_safety_parallel_pfp JAVA ${JVM_OPENJDK17} MODE safety
         ARGS ${JVM_SAFETY_ARGS} --jvm-opt=-XX:+UseParallelGC
              --jvm-opt=-XX:+PreserveFramePointer)
jvm_test(jvm_safety_xcomp JAVA ${JVM_OPENJDK17} MODE safety TIMEOUT 150
         ARGS ${JVM_SAFETY_ARGS} --jvm-opt=-Xcomp)
jvm_test(jvm_safety_temurin25 JAVA ${JVM_TEMURIN25} MODE safety
         ARGS ${JVM_SAFETY_ARGS} --jvm-opt=-XX:+UseG1GC)

# The JVMTI agent: the same library as -agentpath, Java frames captured with
# AsyncGetCallTrace on every sample, under AgentStress (8 threads allocating native memory while
# the JIT compiles, the GC runs and classes are loaded and unloaded). No crash, no hang, the same
# output as without the preload. scripts/soak-jvm --agent runs this 20 times per configuration.
set(JVM_AGENT_ARGS --agent --main AgentStress --classes ${JVM_WORKLOAD_CLASSES}
                   --sample-bytes 4096 --interval 200ms "--job-args=8 150")
jvm_test(jvm_agent_g1 JAVA ${JVM_OPENJDK17} MODE safety
         ARGS ${JVM_AGENT_ARGS} --jvm-opt=-XX:+UseG1GC)
jvm_test(jvm_agent_g1_pfp JAVA ${JVM_OPENJDK17} MODE safety
         ARGS ${JVM_AGENT_ARGS} --jvm-opt=-XX:+UseG1GC --jvm-opt=-XX:+PreserveFramePointer)
jvm_test(jvm_agent_parallel JAVA ${JVM_OPENJDK17} MODE safety
         ARGS ${JVM_AGENT_ARGS} --jvm-opt=-XX:+UseParallelGC)
jvm_test(jvm_agent_xcomp JAVA ${JVM_OPENJDK17} MODE safety TIMEOUT 150
         ARGS ${JVM_AGENT_ARGS} --jvm-opt=-Xcomp)
jvm_test(jvm_agent_temurin25 JAVA ${JVM_TEMURIN25} MODE safety
         ARGS ${JVM_AGENT_ARGS} --jvm-opt=-XX:+UseG1GC)
jvm_test(jvm_agent_temurin25_xcomp JAVA ${JVM_TEMURIN25} MODE safety TIMEOUT 150
         ARGS ${JVM_AGENT_ARGS} --jvm-opt=-Xcomp)

# Java frames in the analyzer, tests/jvm/jvm_java_frames.py, every allocation recorded:
# - jvm_java_frames_*: StreamingJob under the preload and the agent (-agentpath); `leakscope
#   trend --format json` must name the leaking Java methods (DataFileWriter.newCompressor,
#   TableMetadataCache.open) and the JDK classes between them and the natives (Deflater.<init>,
#   Inflater.<init>, GZIPInputStream.<init>) with source lines.
# - jvm_java_attach_*: the same job under LD_PRELOAD alone, the agent loaded into the running JVM
#   with `jcmd PID JVMTI.agent_load` (Agent_OnAttach) after the leaking classes were loaded: the
#   leaks opened afterwards name the same methods; the job's output stays clean.
# - jvm_java_preload_*: the same job under LD_PRELOAD alone, no JVM option: the preloaded library
#   joins the JVM once the launcher has created it; the same methods are named, stderr is empty.
# - jvm_java_missing_*: LD_PRELOAD names a library that is not there: the JVM runs as without it
#   (same stdout, only ld.so's warning), where -agentpath to the same file stops the JVM.
# - jvm_java_unload_*: a class loaded through its own class loader leaks Deflaters from its own
#   method, then is unloaded before the first dump: the dumps still name that method and line.
foreach(jdk openjdk17 temurin25)
  string(TOUPPER ${jdk} jdk_var)
  foreach(mode agentpath preload missing attach unload)
    if(mode STREQUAL agentpath)
      set(name jvm_java_frames_${jdk})
    else()
      set(name jvm_java_${mode}_${jdk})
    endif()
    # ClassUnloadJob is a test workload; the other modes run the demo's StreamingJob.
    set(classes ${CMAKE_BINARY_DIR}/examples/java)
    if(mode STREQUAL unload)
      set(classes ${JVM_WORKLOAD_CLASSES})
    endif()
    if(JVM_PYTHON3)
      set(command ${JVM_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/jvm/jvm_java_frames.py --mode ${mode}
                  --java ${JVM_${jdk_var}} --classes ${classes}
                  --preload $<TARGET_FILE:leakscope_preload> --leakscope $<TARGET_FILE:leakscope>
                  --workdir ${CMAKE_CURRENT_BINARY_DIR}/jvm/${name})
    else()
      set(command sh -c "echo 'python3 not found: JVM test skipped'; exit 77")
    endif()
    add_test(NAME ${name} COMMAND ${command})
    set_tests_properties(${name} PROPERTIES LABELS jvm SKIP_RETURN_CODE 77 TIMEOUT 90)
  endforeach()
endforeach()

# The soak's CI sample: 30 cells of scripts/soak-jvm's matrix (JDK x GC x heap x
# PreserveFramePointer x -Xcomp x agent x workload, every allocation unwound), drawn with a fixed
# seed so the same cells run every time, one run each, two at once: about 2 min on 2 idle cores.
# Seed 5 draws 18 DeoptStorm cells, 7 of them with a small heap and no frame pointer (where
# libunwind's frame-pointer guess crashed). Any crash, hang or output mismatch fails it; the
# failed runs' logs and hs_err files stay in tests/jvm/soak_sample. Label soak (and jvm), so
# `ctest -LE soak` leaves it out.
if(JVM_PYTHON3)
  # The logs directory starts empty, so what it holds is this run's.
  set(logs ${CMAKE_CURRENT_BINARY_DIR}/jvm/soak_sample)
  set(command sh -c "rm -rf \"$1\" && shift && exec \"$@\"" soak ${logs}
              ${JVM_PYTHON3} ${PROJECT_SOURCE_DIR}/scripts/soak-jvm --no-build
              --build ${CMAKE_BINARY_DIR} --sample 30 --seed 5 -n 1 -j 2 --timeout 90
              --logs ${logs})
else()
  set(command sh -c "echo 'python3 not found: JVM test skipped'; exit 77")
endif()
add_test(NAME jvm_soak_sample COMMAND ${command})
set_tests_properties(jvm_soak_sample PROPERTIES LABELS "jvm;soak" SKIP_RETURN_CODE 77
                                                TIMEOUT 600)
