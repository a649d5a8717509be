# corral_add_handler(NAME SOURCES...): a handler plugin NAME.so (no "lib" prefix) built against
# Corral::sdk alone, with only its entry point exported.
function(corral_add_handler name)
  add_library(${name} MODULE ${ARGN})
  target_link_libraries(${name} PRIVATE Corral::sdk)
  set_target_properties(${name} PROPERTIES PREFIX "" C_VISIBILITY_PRESET hidden
                        CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
endfunction()
