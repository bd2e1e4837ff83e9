# Run by `cmake --install` (install(SCRIPT) in Install.cmake): writes the
# systemd units for the prefix being installed to and installs them with the
# cluster config. Set before it runs: GALE_PACKAGING_DIR, GALE_STAGING_DIR,
# GALE_BINDIR, GALE_DATADIR, GALE_DOCDIR (relative to the prefix).
set(prefix "${CMAKE_INSTALL_PREFIX}")
if(prefix STREQUAL "/usr")
  set(etc_dir /etc/gale)
  set(unit_dir /lib/systemd/system)
else()
  set(etc_dir ${prefix}/etc/gale)
  set(unit_dir ${prefix}/lib/systemd/system)
endif()
set(GALE_CONFIG ${etc_dir}/gale.yaml)
set(GALE_BIN_DIR ${prefix}/${GALE_BINDIR})
set(GALE_DATA_DIR ${prefix}/${GALE_DATADIR}/gale)
set(GALE_DOC_DIR ${prefix}/${GALE_DOCDIR})
foreach(unit gale-nimbus gale-supervisor gale-ui)
  configure_file(${GALE_PACKAGING_DIR}/${unit}.service.in ${GALE_STAGING_DIR}/${unit}.service @ONLY)
  file(INSTALL ${GALE_STAGING_DIR}/${unit}.service DESTINATION ${unit_dir})
endforeach()
file(INSTALL ${GALE_PACKAGING_DIR}/gale.yaml DESTINATION ${etc_dir})
