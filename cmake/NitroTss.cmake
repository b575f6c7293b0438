# Shared build helpers for nitro-tss targets.

# Applies the project's warning flags, sanitizers and include root to a target
# that holds our own code.
function(nitro_tss_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror
                                           -Wno-error=deprecated-declarations)
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}
                                              ${PROJECT_BINARY_DIR})
  if(NITRO_TSS_SANITIZE)
    string(REPLACE ";" "," _san "${NITRO_TSS_SANITIZE}")
    target_compile_options(${target} PRIVATE -fsanitize=${_san}
                                             -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=${_san})
  endif()
endfunction()

# nitro_tss_library(NAME DIR <dir> [DEPS ...]) builds every *.cc under <dir>
# (recursively, except *_test.cc, *_fuzz.cc, *_main.cc) into a static library.
function(nitro_tss_library name)
  cmake_parse_arguments(ARG "" "DIR" "DEPS" ${ARGN})
  file(GLOB_RECURSE _srcs CONFIGURE_DEPENDS ${ARG_DIR}/*.cc)
  list(FILTER _srcs EXCLUDE REGEX "(_test|_fuzz|_main)\\.cc$")
  # A subfolder with its own CMakeLists.txt is its own target.
  file(GLOB_RECURSE _subtargets CONFIGURE_DEPENDS ${ARG_DIR}/*/CMakeLists.txt)
  foreach(_sub ${_subtargets})
    get_filename_component(_subdir ${_sub} DIRECTORY)
    list(FILTER _srcs EXCLUDE REGEX "^${_subdir}/")
  endforeach()
  if(NOT _srcs)
    # Nothing to compile yet: a header-only interface library.
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR}
                                                 ${PROJECT_BINARY_DIR})
    target_link_libraries(${name} INTERFACE ${ARG_DEPS})
    return()
  endif()
  add_library(${name} STATIC ${_srcs})
  nitro_tss_defaults(${name})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# nitro_tss_test(NAME SRCS ... DEPS ... [RUNS targets...] [ONE_PROCESS]) builds one gtest
# binary (RUNS: executables the tests start, built along with it) and registers
# each of its tests with CTest. Tests run from the source root, so they can
# read tests/fixtures/... and ../shared/... by relative path.
function(nitro_tss_test name)
  if(NOT NITRO_TSS_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "ONE_PROCESS" "TIMEOUT" "SRCS;DEPS;LABELS;RUNS"
                        ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  if(ARG_RUNS)
    add_dependencies(${name} ${ARG_RUNS})
  endif()
  nitro_tss_defaults(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main
                                        GTest::gmock)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 600)
  endif()
  if(NOT ARG_LABELS)
    set(ARG_LABELS ${name})
  endif()
  if(ARG_ONE_PROCESS)
    # The binary's tests share expensive state (e.g. a cluster of processes
    # and its key): one CTest entry runs them all in one process.
    add_test(NAME ${name} COMMAND ${name} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT}
      LABELS "${ARG_LABELS}"
      ENVIRONMENT "NITRO_TSS_SOURCE_DIR=${PROJECT_SOURCE_DIR};NITRO_TSS_BINARY_DIR=${PROJECT_BINARY_DIR}")
    return()
  endif()
  include(GoogleTest)
  gtest_discover_tests(${name}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}"
               ENVIRONMENT "NITRO_TSS_SOURCE_DIR=${PROJECT_SOURCE_DIR};NITRO_TSS_BINARY_DIR=${PROJECT_BINARY_DIR}")
endfunction()

# nitro_tss_fuzzer(NAME SRC <file> DEPS ... CORPUS <dir>)
# With NITRO_TSS_FUZZ=ON: a libFuzzer binary (clang). Otherwise: the same
# target linked with a standalone driver that replays the seed corpus, run as
# a regular CTest so decoders stay exercised by `make test`.
function(nitro_tss_fuzzer name)
  cmake_parse_arguments(ARG "" "SRC;CORPUS" "DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRC})
  nitro_tss_defaults(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  if(NITRO_TSS_FUZZ)
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    set_property(GLOBAL APPEND PROPERTY NITRO_TSS_FUZZERS "${name}|${ARG_CORPUS}")
  else()
    target_sources(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/fuzz/standalone_driver.cc)
    if(NITRO_TSS_BUILD_TESTS)
      add_test(NAME fuzz_corpus.${name}
               COMMAND ${name} ${ARG_CORPUS}
               WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    endif()
  endif()
endfunction()

# nitro_tss_bench(NAME SRCS ... DEPS ...) builds one Google Benchmark binary;
# `make bench` runs every binary registered this way.
function(nitro_tss_bench name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  # Every binary reports the same-run baseline (bench/common/baseline.cc).
  add_executable(${name} ${ARG_SRCS}
                         ${PROJECT_SOURCE_DIR}/bench/common/baseline.cc)
  nitro_tss_defaults(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark
                                        PkgConfig::GMP)
  set_property(GLOBAL APPEND PROPERTY NITRO_TSS_BENCHES ${name})
endfunction()

# Includes every immediate subdirectory of the current source dir that has a
# CMakeLists.txt (so independent components can be added without editing
# their parent).
macro(nitro_tss_add_subdirs)
  file(GLOB _children LIST_DIRECTORIES true CONFIGURE_DEPENDS
       ${CMAKE_CURRENT_SOURCE_DIR}/*)
  list(SORT _children)
  foreach(_child ${_children})
    if(IS_DIRECTORY ${_child} AND EXISTS ${_child}/CMakeLists.txt)
      add_subdirectory(${_child})
    endif()
  endforeach()
endmacro()

# Test-only targets (e.g. nitro_mpc_testing, the round simulator) carry the
# target property NITRO_TSS_TEST_ONLY. nitro_tss_check_test_only_targets(DIRS
# <dir>...) fails the configure step if any target defined under one of the
# given (production) source directories links, directly or transitively, a
# test-only target. Called at the end of the top-level CMakeLists.txt.
function(_nitro_tss_targets_under dir out)
  get_property(_t DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(_subs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(_s ${_subs})
    _nitro_tss_targets_under(${_s} _more)
    list(APPEND _t ${_more})
  endforeach()
  set(${out} ${_t} PARENT_SCOPE)
endfunction()

function(nitro_tss_check_test_only_targets)
  cmake_parse_arguments(ARG "" "" "DIRS" ${ARGN})
  set(_roots)
  foreach(_d ${ARG_DIRS})
    _nitro_tss_targets_under(${PROJECT_SOURCE_DIR}/${_d} _t)
    list(APPEND _roots ${_t})
  endforeach()
  foreach(_root ${_roots})
    get_target_property(_root_test_only ${_root} NITRO_TSS_TEST_ONLY)
    if(_root_test_only)
      continue()
    endif()
    set(_seen ${_root})
    set(_work ${_root})
    while(_work)
      list(POP_FRONT _work _cur)
      get_target_property(_type ${_cur} TYPE)
      set(_deps)
      if(NOT _type STREQUAL "INTERFACE_LIBRARY")
        get_target_property(_l ${_cur} LINK_LIBRARIES)
        if(_l)
          list(APPEND _deps ${_l})
        endif()
      endif()
      get_target_property(_il ${_cur} INTERFACE_LINK_LIBRARIES)
      if(_il)
        list(APPEND _deps ${_il})
      endif()
      foreach(_dep ${_deps})
        string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" _dep "${_dep}")
        if(NOT TARGET "${_dep}")
          continue()
        endif()
        get_target_property(_aliased ${_dep} ALIASED_TARGET)
        if(_aliased)
          set(_dep ${_aliased})
        endif()
        get_target_property(_imported ${_dep} IMPORTED)
        if(_imported OR _dep IN_LIST _seen)
          continue()
        endif()
        list(APPEND _seen ${_dep})
        get_target_property(_test_only ${_dep} NITRO_TSS_TEST_ONLY)
        if(_test_only)
          message(FATAL_ERROR
            "production target '${_root}' links the test-only target "
            "'${_dep}' (via '${_cur}'). Test-only targets may be linked by "
            "tests/, bench/ and tests/fuzz/ only (docs/ARCHITECTURE.md).")
        endif()
        list(APPEND _work ${_dep})
      endforeach()
    endwhile()
  endforeach()
endfunction()
