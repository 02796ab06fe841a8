# `leakscope html`: its sources, and the page's script and style sheet compiled into the binary
# (embed.cmake), so the report it writes is one self-contained file.
set(html_asset_dir ${CMAKE_CURRENT_LIST_DIR})
set(html_assets_cc ${CMAKE_CURRENT_BINARY_DIR}/html_assets.cc)
add_custom_command(
  OUTPUT ${html_assets_cc}
  COMMAND ${CMAKE_COMMAND} -DOUT=${html_assets_cc}
          "-DASSETS=kReportJs=${html_asset_dir}/report.js|kReportCss=${html_asset_dir}/report.css"
          -P ${html_asset_dir}/embed.cmake
  DEPENDS ${html_asset_dir}/embed.cmake ${html_asset_dir}/report.js ${html_asset_dir}/report.css
  COMMENT "Embedding the HTML report's script and style sheet"
  VERBATIM)
target_sources(leakscope_analyzer PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/flame_tree.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/html_command.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/html_data.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/html_page.cc
  ${html_assets_cc})
