// SPDX-License-Identifier: Apache-2.0
#include "cli/cli.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "option_values.h"
#include "output/absl_compat.h"
#include "output/atomic_file.h"

namespace leakscope::analyzer {

std::string OptionsHelp(const std::vector<OptionSpec>& specs, size_t column) {
  constexpr size_t kWidth = 92;
  std::string text;
  for (const OptionSpec& spec : specs) {
    std::string line = spec.short_name != 0 ? absl::StrCat("  -", std::string(1, spec.short_name),
                                                           ", --", AV(spec.name))
                                            : absl::StrCat("      --", AV(spec.name));
    if (!spec.value_name.empty()) absl::StrAppend(&line, " ", AV(spec.value_name));
    line.append(line.size() + 2 <= column ? column - line.size() : 2, ' ');
    // Words fill each line up to kWidth; a word never splits.
    bool first_word = true;
    for (absl::string_view word : absl::StrSplit(spec.help, ' ', absl::SkipEmpty())) {
      if (!first_word && line.size() + 1 + word.size() > kWidth) {
        absl::StrAppend(&text, line, "\n");
        line.assign(column, ' ');
        first_word = true;
      }
      if (!first_word) line += ' ';
      absl::StrAppend(&line, word);
      first_word = false;
    }
    absl::StrAppend(&text, line, "\n");
  }
  return text;
}

OptionSpec HelpOption() { return {"help", 'h', false, "", "this help"}; }

OptionSpec RecorderIntervalOption(std::string_view more) {
  return {
      "interval", 0, true, "T",
      absl::StrCat("time between dumps: 500ms, 30s, 5m; 0 = only at exit and on demand", AV(more))};
}

OptionSpec RecorderSampleBytesOption(std::string_view more) {
  return {"sample-bytes", 0, true, "N",
          absl::StrCat("mean bytes between samples, K/M/G; 1 = record every allocation", AV(more))};
}

const OptionSpec* ArgParser::Find(std::string_view name) const {
  for (const OptionSpec& spec : specs_) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

const OptionSpec* ArgParser::FindShort(char c) const {
  for (const OptionSpec& spec : specs_) {
    if (spec.short_name != 0 && spec.short_name == c) return &spec;
  }
  return nullptr;
}

bool ArgParser::Parse(const std::vector<std::string>& args, std::string* error) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      saw_dashdash_ = true;
      rest_.assign(args.begin() + i + 1, args.end());
      return true;
    }
    const OptionSpec* spec = nullptr;
    std::optional<std::string> inline_value;
    if (arg.size() > 2 && arg.compare(0, 2, "--") == 0) {
      std::string_view body = std::string_view(arg).substr(2);
      size_t eq = body.find('=');
      std::string_view name = body.substr(0, eq);
      if (eq != std::string_view::npos) inline_value = std::string(body.substr(eq + 1));
      spec = Find(name);
      if (spec == nullptr) {
        *error = absl::StrCat("unknown option --", AV(name));
        return false;
      }
      if (!spec->takes_value && inline_value) {
        *error = absl::StrCat("option --", AV(name), " takes no value");
        return false;
      }
    } else if (arg.size() >= 2 && arg[0] == '-' && arg[1] != '-') {
      spec = FindShort(arg[1]);
      if (spec == nullptr) {
        *error = absl::StrCat("unknown option ", arg);
        return false;
      }
      if (arg.size() > 2) {
        if (!spec->takes_value) {
          *error = absl::StrCat("unknown option ", arg);
          return false;
        }
        inline_value = arg.substr(2);
      }
    } else {
      positional_.push_back(arg);
      continue;
    }
    std::string value;
    if (spec->takes_value) {
      if (inline_value) {
        value = *inline_value;
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        *error = absl::StrCat("option --", AV(spec->name), " needs a value");
        return false;
      }
    }
    values_.emplace_back(std::string(spec->name), std::move(value));
  }
  return true;
}

bool ArgParser::Has(std::string_view name) const {
  for (const auto& [n, v] : values_) {
    if (n == name) return true;
  }
  return false;
}

std::optional<std::string> ArgParser::Value(std::string_view name) const {
  std::optional<std::string> result;
  for (const auto& [n, v] : values_) {
    if (n == name) result = v;
  }
  return result;
}

std::vector<std::string> ArgParser::Values(std::string_view name) const {
  std::vector<std::string> result;
  for (const auto& [n, v] : values_) {
    if (n == name) result.push_back(v);
  }
  return result;
}

bool CheckRecorderInterval(std::string_view text, std::string* error) {
  uint64_t ns = 0;
  std::string value(text);  // the recorder's own parser, so both read the value alike
  if (ParseDuration(value.c_str(), &ns) && (ns == 0 || ns >= kMinIntervalNs)) return true;
  *error = absl::StrCat(
      "--interval needs 0 or a duration of at least 100ms such as 500ms, 30s or 5m, not '",
      AV(text), "'");
  return false;
}

bool CheckRecorderSampleBytes(std::string_view text, std::string* error) {
  uint64_t bytes = 0;
  std::string value(text);  // the recorder's own parser, so both read the value alike
  if (ParseSize(value.c_str(), &bytes) && bytes > 0 && bytes <= kMaxSampleBytes) return true;
  *error = absl::StrCat("--sample-bytes needs a positive byte count such as 1, 4096 or 128K, not '",
                        AV(text), "'");
  return false;
}

std::string FindRecorderLibrary(const std::string& self_exe, std::string* error) {
  constexpr char kName[] = "libleakscope.so";
  std::vector<std::string> tried;
  if (!self_exe.empty()) {
    std::filesystem::path dir = std::filesystem::path(self_exe).parent_path();
    for (const std::filesystem::path& lib : {dir / ".." / "lib" / kName, dir / kName}) {
      std::error_code ec;
      std::filesystem::path absolute = std::filesystem::absolute(lib, ec);
      std::string path = (ec ? lib : absolute).lexically_normal().string();
      if (access(path.c_str(), R_OK) == 0) return path;
      tried.push_back(path);
    }
  }
  *error = tried.empty()
               ? absl::StrCat("cannot find the recorder library ", kName,
                              ": the path of this leakscope binary is unknown; pass --lib PATH")
               : absl::StrCat("cannot find the recorder library ", kName, "; tried ",
                              absl::StrJoin(tried, ", "),
                              " (build it, unpack the whole release tarball, or pass --lib PATH)");
  return "";
}

int UsageError(std::string_view command, std::string_view message) {
  std::string prefix = command.empty() ? "leakscope" : absl::StrCat("leakscope ", AV(command));
  std::string help = absl::StrCat(prefix, " --help");
  std::string text = absl::StrCat(prefix, ": ", AV(message), "\nTry '", help, "'.\n");
  fputs(text.c_str(), stderr);
  return kExitUsage;
}

std::optional<int> ParseCommandLine(std::string_view command, const std::vector<std::string>& args,
                                    std::string_view usage, size_t column, ArgParser* parser) {
  std::string error;
  if (!parser->Parse(args, &error)) return UsageError(command, error);
  if (!parser->Has("help")) return std::nullopt;
  std::string help = absl::StrCat(AV(usage), OptionsHelp(parser->specs(), column));
  fwrite(help.data(), 1, help.size(), stdout);
  return kExitOk;
}

bool Output::Commit() {
  if (path_.empty() || path_ == "-") {
    if (fwrite(buffer_.data(), 1, buffer_.size(), stdout) != buffer_.size() ||
        fflush(stdout) != 0) {
      fprintf(stderr, "leakscope: writing standard output: %s\n", strerror(errno));
      return false;
    }
    return true;
  }
  // Written whole at the end, so a failed run leaves no half-written file behind.
  std::string error;
  if (!WriteFileAtomically(path_, buffer_, 0644, &error)) {
    fprintf(stderr, "leakscope: %s\n", error.c_str());
    return false;
  }
  return true;
}

}  // namespace leakscope::analyzer
