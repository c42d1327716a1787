# rnnbpttCompileOptions.cmake — language standard, warnings and sanitizers for every target we build.
#
#   RNNBPTT_WERROR    (OFF) turn warnings into errors
#   RNNBPTT_SANITIZE  (OFF) AddressSanitizer + UndefinedBehaviorSanitizer, no recovery
#
# Call rnnbptt_target_defaults(<target>) on the library, each test, example and benchmark. The
# flags are PRIVATE: nothing leaks into the exported target or a consumer's build.

option(RNNBPTT_WERROR "Treat compiler warnings as errors" OFF)
option(RNNBPTT_SANITIZE "Build library, tests, examples and benchmarks with -fsanitize=address,undefined" OFF)

set(RNNBPTT_WARNING_FLAGS -Wall -Wextra -Wpedantic)
if(RNNBPTT_WERROR)
  list(APPEND RNNBPTT_WARNING_FLAGS -Werror)
endif()

set(RNNBPTT_SANITIZE_FLAGS "")
if(RNNBPTT_SANITIZE)
  set(RNNBPTT_SANITIZE_FLAGS
      -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
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
