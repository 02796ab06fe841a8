// SPDX-License-Identifier: Apache-2.0
// How strings that come from a dump are printed. Command lines, host names, module paths, symbol
// and Java names are chosen by the profiled program and the files it loaded, so they may hold
// any bytes: terminal escape sequences, NUL, CR, bytes that are not UTF-8. The rule (see
// docs/json.md, "Strings"):
//
// - Text output (report, diff, trend, collapsed, and messages on stderr) passes printable ASCII
//   and valid UTF-8 through. A control character (C0 but newline and tab, DEL) or a byte that is
//   not part of valid UTF-8 prints as \xNN; a C1 control or a bidirectional override character
//   (U+0080-U+009F, U+202A-U+202E, U+2066-U+2069) as \uNNNN. Nothing a dump holds can move the
//   cursor, change colours or reorder what a terminal shows.
// - JSON output is valid UTF-8: valid UTF-8 passes, a byte that is not part of valid UTF-8 is
//   read as Latin-1 and written as \u00NN (so "caf\xe9.txt" reads back as "café.txt"), and
//   control characters are \u-escaped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace leakscope::analyzer {

// The length (1-4) of the valid UTF-8 sequence at text[at] and its code point, or 0 when the
// bytes there are not valid UTF-8 (overlong forms, surrogates and values above U+10FFFF are not).
size_t Utf8SequenceAt(std::string_view text, size_t at, uint32_t* code_point);

// True for the code points text output escapes: C0 and C1 controls, DEL, bidi overrides.
bool IsUnsafeCodePoint(uint32_t code_point);

// `text` with everything unsafe escaped, newline and tab included: for one field or one line.
std::string EscapeText(std::string_view text);

// Escapes a whole text output in place, keeping its newlines and tabs: the last line of defence
// for every string a formatter prints.
void EscapeTextOutput(std::string* text);

}  // namespace leakscope::analyzer
