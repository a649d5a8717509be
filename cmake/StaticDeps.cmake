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

# The project's own static libraries that `target` links, directly or through others.
function(corral_internal_archives target out)
  set(found "")
  set(queue ${target})
  while(queue)
    list(POP_FRONT queue current)
    get_target_property(libraries ${current} LINK_LIBRARIES)
    foreach(library IN LISTS libraries)
      if(TARGET ${library} AND NOT library IN_LIST found)
        get_target_property(imported ${library} IMPORTED)
        get_target_property(type ${library} TYPE)
        if(NOT imported AND type STREQUAL "STATIC_LIBRARY")
          list(APPEND found ${library})
          list(APPEND queue ${library})
        endif()
      endif()
    endforeach()
  endwhile()
  set(${out} ${found} PARENT_SCOPE)
endfunction()

function(corral_link_deps_statically target)
  if(CORRAL_SANITIZE)
    return()
  endif()
  pkg_check_modules(static_${target} REQUIRED ${ARGN})
  # CMake lists the project's archives again after the shared libraries the imported targets
  # name; a member first pulled there would bind to those. So every project archive goes into
  # the group too, before any shared library: all references are settled inside it.
  corral_internal_archives(${target} archives)
  set(archive_files "")
  foreach(archive IN LISTS archives)
    list(APPEND archive_files $<TARGET_FILE:${archive}>)
  endforeach()
  target_link_options(${target} PRIVATE -no-pie -Wl,--as-needed)
  target_link_libraries(${target} PRIVATE -Wl,-Bstatic -Wl,--start-group ${archive_files}
                        ${static_${target}_STATIC_LDFLAGS} -Wl,--end-group -Wl,-Bdynamic)
  set_property(GLOBAL APPEND PROPERTY CORRAL_STATICALLY_LINKED ${target})
endfunction()
