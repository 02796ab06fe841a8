// SPDX-License-Identifier: Apache-2.0
#include "html/html_page.h"

#include "absl/strings/str_cat.h"

namespace leakscope::analyzer {
namespace html_assets {
// html_assets/report.js and report.css, generated into the build directory by embed.cmake.
extern const char kReportJs[];
extern const char kReportCss[];
}  // namespace html_assets

namespace {

// default-src 'none': no script, style, image, font or connection from anywhere but the page.
constexpr char kHead[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
    "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<meta name=\"generator\" content=\"leakscope html\">\n"
    "<title>leakscope report</title>\n"
    // Installed before the page script, so that even its syntax errors are shown on the page
    // (and seen by the browser test).
    "<script>\n"
    "window.onerror = function (message, source, line, column) {\n"
    "  var e = document.getElementById('errors');\n"
    "  if (e) e.textContent += 'JavaScript error: ' + message + ' (line ' + line + ':' + column +"
    " ')\\n';\n"
    "};\n"
    "</script>\n"
    "<style>\n";

constexpr char kBody[] =
    "</style>\n"
    "</head>\n"
    "<body>\n"
    "<header><h1>leakscope report</h1><div id=\"summary\"></div></header>\n"
    "<pre id=\"errors\"></pre>\n"
    "<section id=\"suspects\"><h2>Leak suspects</h2></section>\n"
    "<section id=\"memory\"><h2>Memory over time</h2></section>\n"
    "<section id=\"flame\"><h2>Flame graph</h2></section>\n"
    "<section id=\"streams\"><h2>zlib streams</h2></section>\n"
    "<footer>Written by <code>leakscope html</code>; the data is in the "
    "<code>#leakscope-data</code> script block (docs/html.md).</footer>\n"
    "<script type=\"application/json\" id=\"leakscope-data\">\n";

}  // namespace

std::string EscapeJsonForScript(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (char c : json) {
    if (c == '<') {
      out.append("\\u003c");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void WriteHtmlPage(std::string_view data_json, std::string* out) {
  absl::StrAppend(out, kHead, html_assets::kReportCss, kBody, EscapeJsonForScript(data_json),
                  "</script>\n<script>\n", html_assets::kReportJs, "</script>\n</body>\n</html>\n");
}

}  // namespace leakscope::analyzer
