# What `cmake --install` puts on a host, and the .deb CPack makes of it
# (cmake/packaging/README.md). Included by the top-level CMakeLists.txt.
include(GNUInstallDirs)

# The programs. The daemons find each other next to themselves: nimbus runs
# `gale __describe`, a supervisor starts `gale-worker`.
install(TARGETS gale gale-nimbus gale-supervisor gale-worker gale-ui
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Plugins: the connectors and the example word count, in <prefix>/lib/gale,
# where `gale` looks for plugins after GALE_PLUGIN_PATH.
install(TARGETS gale_files gale_redis gale_postgres gale_kafka wordcount
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/gale)

# The UI's pages, the example topologies and the README.
install(DIRECTORY nimbus/ui/www DESTINATION ${CMAKE_INSTALL_DATADIR}/gale/ui)
install(DIRECTORY topologies/wordcount/ DESTINATION ${CMAKE_INSTALL_DATADIR}/gale/examples/wordcount
  FILES_MATCHING PATTERN "*.yaml" PATTERN "*.txt" PATTERN "CMakeLists.txt" EXCLUDE)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The cluster config and the systemd units, placed and written at install
# time (InstallUnits.cmake) so that they follow the prefix given then
# (`cmake --install build --prefix DIR`, or CPack's /usr): with the prefix
# /usr the config goes to /etc/gale and the units to /lib/systemd/system, as
# Debian has them; with any other prefix both stay under it.
install(CODE "
  set(GALE_PACKAGING_DIR \"${CMAKE_CURRENT_LIST_DIR}\")
  set(GALE_STAGING_DIR \"${CMAKE_BINARY_DIR}/packaging\")
  set(GALE_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
  set(GALE_DATADIR \"${CMAKE_INSTALL_DATADIR}\")
  set(GALE_DOCDIR \"${CMAKE_INSTALL_DOCDIR}\")")
install(SCRIPT ${CMAKE_CURRENT_LIST_DIR}/InstallUnits.cmake)

# The .deb: `cpack -G DEB` in the build directory (scripts/package.sh). It
# installs under /usr; its dependencies are the run-time libraries of the
# Debian packages that scripts/setup.sh installs for the build.
set(CPACK_PACKAGE_NAME gale)
set(CPACK_PACKAGE_VENDOR "Gale")
set(CPACK_PACKAGE_CONTACT "Gale developers <gale@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "Record-at-a-time stream processing engine with Storm's model (nimbus, supervisor, workers, UI)")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
  "libzmq5, libthrift-0.17.0, libyaml-cpp0.7, libssl3, libxxhash0, libhiredis0.14, libpq5, librdkafka1, librocksdb7.8, libstdc++6, libgcc-s1, libc6")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_CURRENT_LIST_DIR}/conffiles)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Without debug info: 77 MB with it, RelWithDebInfo being the default build.
set(CPACK_STRIP_FILES ON)
include(CPack)
