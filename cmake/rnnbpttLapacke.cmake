# rnnbpttLapacke.cmake — finds LAPACKE (LAPACK's C interface; rnnbptt_spectral calls sgeev and
# sgesvd through it) and defines the imported target rnnbptt::lapacke. Included by the build and,
# for a static librnnbptt, by the installed package config (installed beside it).
#
#   1. pkg-config module `lapacke` (Debian's liblapacke-dev, Fedora, conda ship lapacke.pc);
#   2. otherwise find_library(lapacke) and find_path(lapacke.h).
# Sets RNNBPTT_LAPACKE_FOUND, and RNNBPTT_LAPACKE_PC (ON when pkg-config found it; the build
# then names the module in rnnbptt.pc's Requires.private, else -llapacke in Libs.private).

set(RNNBPTT_LAPACKE_FOUND OFF)
set(RNNBPTT_LAPACKE_PC OFF)
if(TARGET rnnbptt::lapacke)
  set(RNNBPTT_LAPACKE_FOUND ON)
  return()
endif()
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(RNNBPTT_LAPACKE_PKG QUIET IMPORTED_TARGET lapacke)
endif()
if(TARGET PkgConfig::RNNBPTT_LAPACKE_PKG)
  add_library(rnnbptt::lapacke INTERFACE IMPORTED)
  target_link_libraries(rnnbptt::lapacke INTERFACE PkgConfig::RNNBPTT_LAPACKE_PKG)
  set(RNNBPTT_LAPACKE_PC ON)
else()
  find_library(RNNBPTT_LAPACKE_LIBRARY lapacke DOC "the LAPACKE library")
  find_path(RNNBPTT_LAPACKE_INCLUDE_DIR lapacke.h PATH_SUFFIXES lapacke openblas
            DOC "directory holding lapacke.h")
  if(RNNBPTT_LAPACKE_LIBRARY AND RNNBPTT_LAPACKE_INCLUDE_DIR)
    add_library(rnnbptt::lapacke UNKNOWN IMPORTED)
    set_target_properties(rnnbptt::lapacke PROPERTIES
      IMPORTED_LOCATION "${RNNBPTT_LAPACKE_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${RNNBPTT_LAPACKE_INCLUDE_DIR}")
  endif()
endif()
if(TARGET rnnbptt::lapacke)
  set(RNNBPTT_LAPACKE_FOUND ON)
endif()
