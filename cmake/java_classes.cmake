# SPDX-License-Identifier: Apache-2.0
# leakscope_java_classes(TARGET name OUT dir RELEASE n MAIN Class SOURCES a.java ...)
# Compiles Java sources with javac into `dir` (class files for Java `n`) as part of `all`, under
# the target `name`; `Class` is one of the classes, whose .class file stands for the whole set.
# The directory starts clean each time, so a class whose source was removed does not linger.
# Callers check Java_JAVAC_EXECUTABLE (find_package(Java ... Development)) first.
function(leakscope_java_classes)
  cmake_parse_arguments(ARG "" "TARGET;OUT;RELEASE;MAIN;COMMENT" "SOURCES" ${ARGN})
  add_custom_command(
    OUTPUT ${ARG_OUT}/${ARG_MAIN}.class
    COMMAND ${CMAKE_COMMAND} -E rm -rf ${ARG_OUT}
    COMMAND ${Java_JAVAC_EXECUTABLE} --release ${ARG_RELEASE} -Xlint:all -encoding UTF-8
            -d ${ARG_OUT} ${ARG_SOURCES}
    DEPENDS ${ARG_SOURCES}
    COMMENT "${ARG_COMMENT}"
    VERBATIM)
  add_custom_target(${ARG_TARGET} ALL DEPENDS ${ARG_OUT}/${ARG_MAIN}.class)
endfunction()
