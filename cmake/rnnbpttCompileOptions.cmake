# rnnbpttCompileOptions.cmake — language standard, warnings and sanitizers for every target we build.
#
#   RNNBPTT_WERROR    (OFF) turn warnings into errors
#   RNNBPTT_SANITIZE  (OFF) AddressSanitizer + UndefinedBehaviorSanitizer, no recovery
#   RNNBPTT_TSAN      (OFF) ThreadSanitizer (scripts/tsan.sh); cannot be combined with the above
#
# Call rnnbptt_target_defaults(<target>) on the library, each test, example and benchmark. The
# flags are PRIVATE: nothing leaks into the exported target or a consumer's build.
# RNNBPTT_SANITIZE_FLAGS holds the sanitizer flags of this build, whichever option set them; the
# install test builds its consumers with them (an instrumented library needs an instrumented
# program). A sanitizer passed in CMAKE_C_FLAGS (CFLAGS) works too: see tests/CMakeLists.txt.

option(RNNBPTT_WERROR "Treat compiler warnings as errors" OFF)
option(RNNBPTT_SANITIZE "Build library, tests, examples and benchmarks with -fsanitize=address,undefined" OFF)
option(RNNBPTT_TSAN "Build library, tests, examples and benchmarks with -fsanitize=thread" OFF)

set(RNNBPTT_WARNING_FLAGS -Wall -Wextra -Wpedantic)
if(RNNBPTT_WERROR)
  list(APPEND RNNBPTT_WARNING_FLAGS -Werror)
endif()

# ThreadSanitizer cannot share a program with AddressSanitizer (both own the shadow memory).
if(RNNBPTT_SANITIZE AND (RNNBPTT_TSAN OR CMAKE_C_FLAGS MATCHES "-fsanitize=[^ ]*thread"))
  message(FATAL_ERROR "rnnbptt: RNNBPTT_SANITIZE (ASan + UBSan) and ThreadSanitizer "
                      "(RNNBPTT_TSAN or -fsanitize=thread) cannot be combined; use separate builds")
endif()

set(RNNBPTT_SANITIZE_FLAGS "")
if(RNNBPTT_SANITIZE)
  set(RNNBPTT_SANITIZE_FLAGS
      -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
elseif(RNNBPTT_TSAN)
  # -g for the reports' file:line whatever the build type (the top level defaults a TSan build
  # to RelWithDebInfo: -O2, where TSan's reports stay readable and its runs short)
  set(RNNBPTT_SANITIZE_FLAGS -fsanitize=thread -fno-omit-frame-pointer -g)
endif()

function(rnnbptt_target_defaults target)
  set_target_properties(${target} PROPERTIES
    C_STANDARD 11
    C_STANDARD_REQUIRED ON
    C_EXTENSIONS OFF)
  target_compile_options(${target} PRIVATE ${RNNBPTT_WARNING_FLAGS} ${RNNBPTT_SANITIZE_FLAGS})
  if(RNNBPTT_SANITIZE_FLAGS)
    target_link_options(${target} PRIVATE ${RNNBPTT_SANITIZE_FLAGS})
  endif()
endfunction()
