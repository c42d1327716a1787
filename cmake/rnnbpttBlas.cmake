# rnnbpttBlas.cmake — the one place the CBLAS backend is chosen (RNNBPTT_BLAS) and linked.
#
#   RNNBPTT_BLAS=openblas  (default) pkg-config module `openblas` (Debian, Fedora, Homebrew,
#                          conda and OpenBLAS's own install all ship openblas.pc).
#   RNNBPTT_BLAS=FindBLAS  CMake's find_package(BLAS), honouring BLA_VENDOR (OpenBLAS, Intel10_64lp,
#                          FLAME, Apple, Generic, ...); cblas.h is then located with find_path.
#
# Both must provide the CBLAS interface (cblas.h and cblas_sgemm); configuration fails otherwise.
# Outputs, used by the top-level CMakeLists.txt, the pkg-config file and the package config:
#   RNNBPTT_BLAS_TARGET           imported target to link PRIVATE (carries the cblas.h include dir
#                                 for openblas; for FindBLAS the include dir is added separately)
#   RNNBPTT_CBLAS_INCLUDE_DIR     the directory holding the cblas.h we compile against
#   RNNBPTT_PC_REQUIRES_PRIVATE   pkg-config Requires.private entry
#   RNNBPTT_PC_LIBS_PRIVATE       list for pkg-config Libs.private (the BLAS part; CMakeLists adds -lm -pthread)

include(CheckSymbolExists)

set(RNNBPTT_BLAS "openblas" CACHE STRING "CBLAS backend: openblas (pkg-config) or FindBLAS (find_package(BLAS), honours BLA_VENDOR)")
set_property(CACHE RNNBPTT_BLAS PROPERTY STRINGS openblas FindBLAS)

# Switching backend in an existing build tree must not keep the previous backend's findings.
if(DEFINED _RNNBPTT_BLAS_LAST AND NOT _RNNBPTT_BLAS_LAST STREQUAL RNNBPTT_BLAS)
  unset(RNNBPTT_CBLAS_INCLUDE_DIR CACHE)
endif()
set(_RNNBPTT_BLAS_LAST "${RNNBPTT_BLAS}" CACHE INTERNAL "backend RNNBPTT_CBLAS_INCLUDE_DIR was found for")

set(RNNBPTT_PC_REQUIRES_PRIVATE "")
set(RNNBPTT_PC_LIBS_PRIVATE "")

if(RNNBPTT_BLAS STREQUAL "openblas")
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(OPENBLAS REQUIRED IMPORTED_TARGET openblas)
  # Only the directories openblas.pc names: a different cblas.h elsewhere on the system (netlib,
  # ATLAS) must not be picked up silently.
  find_path(RNNBPTT_CBLAS_INCLUDE_DIR cblas.h
    HINTS ${OPENBLAS_INCLUDE_DIRS} NO_DEFAULT_PATH
    DOC "directory holding cblas.h of the selected BLAS")
  if(NOT RNNBPTT_CBLAS_INCLUDE_DIR)
    message(FATAL_ERROR "rnnbptt: openblas.pc include dirs (${OPENBLAS_INCLUDE_DIRS}) hold no cblas.h; "
                        "install OpenBLAS with its CBLAS interface, or use -DRNNBPTT_BLAS=FindBLAS")
  endif()
  set(RNNBPTT_BLAS_TARGET PkgConfig::OPENBLAS)
  set(RNNBPTT_PC_REQUIRES_PRIVATE "openblas")
  set(_rnnbptt_blas_desc "OpenBLAS ${OPENBLAS_VERSION} via pkg-config (${OPENBLAS_LINK_LIBRARIES})")
elseif(RNNBPTT_BLAS STREQUAL "FindBLAS")
  find_package(BLAS REQUIRED)
  find_path(RNNBPTT_CBLAS_INCLUDE_DIR cblas.h
    PATH_SUFFIXES openblas openblas-pthread openblas-openmp blis mkl
    DOC "directory holding cblas.h of the selected BLAS")
  if(NOT RNNBPTT_CBLAS_INCLUDE_DIR)
    message(FATAL_ERROR "rnnbptt: find_package(BLAS) found ${BLAS_LIBRARIES} but no cblas.h; "
                        "set RNNBPTT_CBLAS_INCLUDE_DIR to the directory that holds it")
  endif()
  set(RNNBPTT_BLAS_TARGET BLAS::BLAS)
  # pkg-config has no module for an arbitrary FindBLAS result: spell the libraries out.
  foreach(_lib IN LISTS BLAS_LINKER_FLAGS BLAS_LIBRARIES)
    if(_lib MATCHES "^-")
      list(APPEND RNNBPTT_PC_LIBS_PRIVATE "${_lib}")
    elseif(_lib MATCHES "/lib([^/]+)\\.(so|a|dylib)(\\.[0-9.]+)?$")
      get_filename_component(_dir "${_lib}" DIRECTORY)
      list(APPEND RNNBPTT_PC_LIBS_PRIVATE "-L${_dir}" "-l${CMAKE_MATCH_1}")
    else()
      list(APPEND RNNBPTT_PC_LIBS_PRIVATE "${_lib}")
    endif()
  endforeach()
  list(REMOVE_DUPLICATES RNNBPTT_PC_LIBS_PRIVATE)
  set(_rnnbptt_blas_desc "find_package(BLAS) BLA_VENDOR='${BLA_VENDOR}' (${BLAS_LIBRARIES})")
else()
  message(FATAL_ERROR "rnnbptt: RNNBPTT_BLAS='${RNNBPTT_BLAS}' is not one of: openblas FindBLAS")
endif()

# The headers and the libraries must agree on CBLAS: link a call to cblas_sgemm.
set(CMAKE_REQUIRED_QUIET ON)
set(CMAKE_REQUIRED_INCLUDES "${RNNBPTT_CBLAS_INCLUDE_DIR}")
set(CMAKE_REQUIRED_LIBRARIES ${RNNBPTT_BLAS_TARGET})
check_symbol_exists(cblas_sgemm "cblas.h" RNNBPTT_HAVE_CBLAS_SGEMM_${RNNBPTT_BLAS})
unset(CMAKE_REQUIRED_QUIET)
unset(CMAKE_REQUIRED_INCLUDES)
unset(CMAKE_REQUIRED_LIBRARIES)
if(NOT RNNBPTT_HAVE_CBLAS_SGEMM_${RNNBPTT_BLAS})
  message(FATAL_ERROR "rnnbptt: cannot link cblas_sgemm from ${_rnnbptt_blas_desc} "
                      "with ${RNNBPTT_CBLAS_INCLUDE_DIR}/cblas.h")
endif()
message(STATUS "rnnbptt: CBLAS backend ${_rnnbptt_blas_desc}, cblas.h in ${RNNBPTT_CBLAS_INCLUDE_DIR}")

# Link the backend into `target` PRIVATE: the public header never includes cblas.h.
function(rnnbptt_link_blas target)
  target_link_libraries(${target} PRIVATE ${RNNBPTT_BLAS_TARGET})
  target_include_directories(${target} SYSTEM PRIVATE "${RNNBPTT_CBLAS_INCLUDE_DIR}")
endfunction()
