// SPDX-License-Identifier: Apache-2.0
// Command-line plumbing shared by the subcommands: a small option parser, exit codes and the
// options every analysing subcommand accepts (symbol lookup and output).
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace leakscope::analyzer {

// Exit statuses of the leakscope command. `run` returns its child's status instead.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   // the analysis could not finish (e.g. output not writable)
inline constexpr int kExitUsage = 2;     // bad command line or bad input file
inline constexpr int kExitSuspects = 3;  // trend --fail-on-suspects found a leak suspect

// One option of a command: what the parser accepts and what --help says of it. A command's --help
// lists exactly its specs (OptionsHelp), so an option cannot be accepted without being documented.
// Options that several commands share are made by one function each (AnalysisOptionSpecs,
// RecorderIntervalOption, ...), so their description is written once.
struct OptionSpec {
  std::string_view name;        // long name without dashes, e.g. "top"
  char short_name = 0;          // e.g. 'o'; 0 when none
  bool takes_value = false;     // "--top 5" / "--top=5"
  std::string_view value_name;  // --help: the value's placeholder, "N" in "--top N"
  std::string help;             // --help: the description, one paragraph (wrapped when printed)
};

// The option lines of a --help, one entry per spec in order: "  -n, --top N", the description
// starting at `column` (or two spaces after a longer name), wrapped to 92 columns with
// continuation lines indented to `column`.
std::string OptionsHelp(const std::vector<OptionSpec>& specs, size_t column);

// -h, --help, which every command has.
OptionSpec HelpOption();

// --interval T and --sample-bytes N of `run` and `spark-conf`: the recorder's LEAKSCOPE_INTERVAL
// and LEAKSCOPE_SAMPLE_BYTES. `more` ends the description with what is particular to the command
// (its default), e.g. " (default 60s)".
OptionSpec RecorderIntervalOption(std::string_view more);
OptionSpec RecorderSampleBytesOption(std::string_view more);

// Parses "--name value", "--name=value", "-o value", flags, positionals and a "--" terminator.
// Options may appear anywhere before "--". Everything after "--" is kept verbatim in rest().
class ArgParser {
 public:
  explicit ArgParser(std::vector<OptionSpec> specs) : specs_(std::move(specs)) {}

  // Returns false and sets *error (one line, no trailing newline) on an unknown option or a
  // missing value.
  bool Parse(const std::vector<std::string>& args, std::string* error);

  bool Has(std::string_view name) const;
  // The last value given for `name`, if any.
  std::optional<std::string> Value(std::string_view name) const;
  // Every value given for `name`, in order (repeatable options such as --debug-dir).
  std::vector<std::string> Values(std::string_view name) const;
  const std::vector<OptionSpec>& specs() const { return specs_; }
  const std::vector<std::string>& positional() const { return positional_; }
  const std::vector<std::string>& rest() const { return rest_; }
  bool saw_dashdash() const { return saw_dashdash_; }

 private:
  const OptionSpec* Find(std::string_view name) const;
  const OptionSpec* FindShort(char c) const;

  std::vector<OptionSpec> specs_;
  std::vector<std::pair<std::string, std::string>> values_;  // (name, value) in order
  std::vector<std::string> positional_;
  std::vector<std::string> rest_;
  bool saw_dashdash_ = false;
};

// The recorder's LEAKSCOPE_INTERVAL and LEAKSCOPE_SAMPLE_BYTES as `run` and `spark-conf` accept
// them: checked here because the recorder would only warn and use its default, which is easy to
// miss in a long job's log. On a bad value returns false with *error saying what is expected.
bool CheckRecorderInterval(std::string_view text, std::string* error);
bool CheckRecorderSampleBytes(std::string_view text, std::string* error);

// The recorder library of this installation, found from the leakscope binary `self_exe` (its
// real path, /proc/self/exe): ../lib/libleakscope.so, the layout of the build tree (build/bin,
// build/lib), of `cmake --install` (P/bin, P/lib), of the unpacked release tarball
// (leakscope-<version>/bin, lib) and of the .deb (/usr/bin, /usr/lib); then libleakscope.so
// beside the binary (both files copied into one directory). Returns the first readable one,
// absolute and normalized; when none is, returns "" and sets *error to a line naming every path
// tried, for "leakscope <command>: " to prefix.
std::string FindRecorderLibrary(const std::string& self_exe, std::string* error);

// Prints "leakscope <command>: <message>" and a hint to stderr; returns kExitUsage.
int UsageError(std::string_view command, std::string_view message);

// The start of every command: parses `args` into *parser. Returns the exit status when the command
// is done already: kExitUsage after a usage error, kExitOk after --help (`usage`, ending in
// "Options:\n", then OptionsHelp of the parser's specs at `column` on stdout). std::nullopt: go on.
std::optional<int> ParseCommandLine(std::string_view command, const std::vector<std::string>& args,
                                    std::string_view usage, size_t column, ArgParser* parser);

// Where a subcommand's output goes: stdout, or the file named by -o (written whole at the end,
// so a failed run leaves no half-written file behind).
class Output {
 public:
  // `path` empty or "-" means stdout.
  explicit Output(std::string path) : path_(std::move(path)) {}
  std::string& buffer() { return buffer_; }
  // Writes the buffer; on failure prints "leakscope: <path>: <reason>" and returns false.
  bool Commit();

 private:
  std::string path_;
  std::string buffer_;
};

}  // namespace leakscope::analyzer
