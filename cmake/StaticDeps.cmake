# corral_link_deps_statically(TARGET PKG...): links TARGET against the static archives Debian
# ships for the pkg-config modules PKG (gRPC, Protobuf, Abseil), without PIE.
#
# Why: corralctl runs once per command and corral-server once per start (and the fork model
# forks it per connection). Dynamically, each run spends most of its start-up in the loader
# (dozens of libraries, ~15,000 symbol lookups, ~28,000 relocations): measured on the 2-core
# VM, `corralctl ls` took 40 ms dynamically and 19 ms static without PIE. libstdc++, libc,
# spdlog and fmt (Debian ships no archive of the last two) stay shared.
#
# The archives come first on the link line, so they satisfy every reference and --as-needed
# drops the shared copies that the targets' usage requirements also name; the test
# binaries_are_statically_linked checks that no shared gRPC, Protobuf or Abseil is left (two
# copies of Abseil's globals in one process would be a real bug). Sanitizer builds keep the
# shared libraries: the loader cost does not matter there.
find_package(PkgConfig REQUIRED)

function(corral_link_deps_statically target)
  if(CORRAL_SANITIZE)
    return()
  endif()
  pkg_check_modules(static_${target} REQUIRED ${ARGN})
  target_link_options(${target} PRIVATE -no-pie -Wl,--as-needed)
  target_link_libraries(${target} PRIVATE -Wl,-Bstatic ${static_${target}_STATIC_LDFLAGS}
                        -Wl,-Bdynamic)
  set_property(GLOBAL APPEND PROPERTY CORRAL_STATICALLY_LINKED ${target})
endfunction()
