# Read by cpack once per generator (CPACK_PROJECT_CONFIG_FILE). The tarball unpacks to a
# directory of its own and carries the LICENSE at its top; the .deb installs under /usr, where the
# LICENSE belongs in share/doc/leakscope only.
if(CPACK_GENERATOR STREQUAL "DEB")
  set(CPACK_COMPONENTS_ALL Unspecified)
endif()
