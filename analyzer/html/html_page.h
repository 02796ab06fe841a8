// SPDX-License-Identifier: Apache-2.0
// The HTML report page: one self-contained file holding the page data (html_data.h) as JSON and
// the script and style sheet that draw it, compiled into leakscope (html_assets/). The page
// loads nothing: its Content-Security-Policy forbids every fetch, so it opens offline and a
// report attached to a ticket cannot call out.
#pragma once

#include <string>
#include <string_view>

namespace leakscope::analyzer {

// Appends the page to *out. `data_json` is the JSON object of BuildHtmlData.
void WriteHtmlPage(std::string_view data_json, std::string* out);

// `json` made safe inside <script type="application/json">: every '<' (only ever inside JSON
// strings) becomes \u003c, so no "</script>" or "<!--" in a frame name can end the block.
std::string EscapeJsonForScript(std::string_view json);

}  // namespace leakscope::analyzer
