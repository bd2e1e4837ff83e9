# gale_add_plugin(NAME SOURCES...): a plugin library (lib<NAME>.so) built
# against the header-only SDK, with hidden visibility so that only the two
# gale_plugin_* entry points are exported.
function(gale_add_plugin name)
  add_library(${name} MODULE ${ARGN})
  target_link_libraries(${name} PRIVATE gale::sdk)
  target_compile_features(${name} PRIVATE cxx_std_20)
  set_target_properties(${name} PROPERTIES
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    PREFIX "lib")
endfunction()
