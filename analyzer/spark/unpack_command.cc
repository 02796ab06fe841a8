// SPDX-License-Identifier: Apache-2.0
// `leakscope unpack INPUT... -o DIR`: extracts the dumps embedded in `yarn logs` output.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "dump_file_names.h"
#include "output/atomic_file.h"
#include "output/text_escape.h"
#include "spark/unpack.h"

namespace leakscope::analyzer {
namespace {

constexpr char kUnpackHelp[] =
    "Usage: leakscope unpack INPUT... -o DIR\n"
    "\n"
    "Extracts the dumps embedded in other files, such as the output of\n"
    "  yarn logs -applicationId ID -log_files_pattern '^leakscope\\.[0-9]+\\.[0-9]+\\.dump$' \\\n"
    "    -out INPUT\n"
    "(one file per container, each collected file wrapped in text headers) or its standard\n"
    "output, saved to a file or piped in as INPUT \"-\". Directories are read recursively.\n"
    "Every dump found is checked in full and written to\n"
    "DIR/<container>/leakscope.<pid>.<seq>.dump (<container> from the \"Container: <id> on\n"
    "<node>\" line before it, else the input's file name), ready for `leakscope trend DIR`.\n"
    "The recorder's temporary files (.leakscope.<pid>.<seq>.dump.tmp, collected by a loose\n"
    "pattern) are skipped with a note. A damaged dump gets one line on stderr naming its input\n"
    "and collected file, and exit status 2; the others are still written.\n"
    "\n"
    "Options:\n";

// A path component from a container id or file name.
std::string SafeName(std::string name) {
  for (char& c : name) {
    if (c == '/' || c == '\0') c = '_';
  }
  if (name.empty() || name == "." || name == "..") name = "_" + name;
  return name;
}

// True when `name` in `dir_fd` is a regular file (not a link) holding exactly `bytes`.
bool SameBytes(int dir_fd, const std::string& name, const std::string& bytes) {
  int fd = openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  bool same = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
              static_cast<uint64_t>(st.st_size) == bytes.size();
  if (same) {
    std::string existing(bytes.size(), '\0');
    same = pread(fd, existing.data(), existing.size(), 0) == static_cast<ssize_t>(bytes.size()) &&
           existing == bytes;
  }
  close(fd);
  return same;
}

// The directory for one container's dumps, `name` inside the output directory, created if
// missing and opened without following a symbolic link: container names come from the input, and
// a link planted there by another user must not send the dumps elsewhere. -1 with *error.
int OpenContainerDir(int out_fd, const std::string& name, const std::string& shown,
                     std::string* error) {
  if (mkdirat(out_fd, name.c_str(), 0777) != 0 && errno != EEXIST) {
    *error = absl::StrCat(shown, ": cannot create: ", strerror(errno));
    return -1;
  }
  int fd = openat(out_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    *error = absl::StrCat(shown, ": ",
                          errno == ELOOP || errno == ENOTDIR
                              ? "not a directory (a symbolic link or a file is in the way)"
                              : strerror(errno));
  }
  return fd;
}

}  // namespace

int UnpackCommand(const std::vector<std::string>& args) {
  std::vector<OptionSpec> specs = {
      {"output", 'o', true, "DIR", "where to write the dumps (created if missing)"}, HelpOption()};
  ArgParser parser(std::move(specs));
  if (auto done = ParseCommandLine("unpack", args, kUnpackHelp, 21, &parser)) return *done;
  std::string error;
  if (parser.positional().empty() || parser.saw_dashdash()) {
    return UsageError("unpack", "expected files or directories to unpack");
  }
  auto out_dir = parser.Value("output");
  if (!out_dir || out_dir->empty()) return UsageError("unpack", "missing -o DIR");

  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(*out_dir, ec);
  if (ec) {
    fprintf(stderr, "leakscope unpack: cannot create %s: %s\n", out_dir->c_str(),
            ec.message().c_str());
    return kExitFailure;
  }
  int out_fd = open(out_dir->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (out_fd < 0) {
    fprintf(stderr, "leakscope unpack: cannot open %s: %s\n", out_dir->c_str(), strerror(errno));
    return kExitFailure;
  }
  std::vector<std::string> inputs;
  std::vector<std::string> errors;
  std::vector<std::string> skipped;
  bool stdin_taken = false;
  for (const std::string& path : parser.positional()) {
    if (path == "-") {
      if (stdin_taken) {
        return UsageError("unpack", "standard input (-) given twice");
      }
      stdin_taken = true;
      inputs.push_back(path);
      continue;
    }
    fs::file_status status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
      errors.push_back(absl::StrCat(path, ": no such file or directory"));
    } else if (!fs::is_directory(status)) {
      if (IsTemporaryName(path)) {
        skipped.push_back(path);
      } else {
        inputs.push_back(path);
      }
    } else {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(
               path, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        if (IsTemporaryName(it->path().filename().string())) {
          skipped.push_back(it->path().string());
        } else {
          found.push_back(it->path().string());
        }
      }
      std::sort(found.begin(), found.end());
      inputs.insert(inputs.end(), found.begin(), found.end());
    }
  }

  size_t written = 0, duplicates = 0;
  std::set<std::pair<int64_t, uint64_t>> processes;
  bool write_failed = false;
  for (const std::string& input : inputs) {
    std::string fallback =
        input == "-" ? std::string("stdin") : SafeName(fs::path(input).filename().string());
    ScanEmbeddedDumps(
        input,
        [&](EmbeddedDump&& dump) {
          const format::ProcessFixed& p = dump.process.fixed;
          std::string dir_name = dump.container.empty() ? fallback : SafeName(dump.container);
          std::string dir = (fs::path(*out_dir) / dir_name).string();
          std::string write_error;
          int dir_fd = OpenContainerDir(out_fd, dir_name, dir, &write_error);
          if (dir_fd < 0) {
            fprintf(stderr, "leakscope unpack: %s\n", EscapeText(write_error).c_str());
            write_failed = true;
            return;
          }
          char dump_name[96];
          dump_files::FormatDumpName(dump_name, sizeof(dump_name), static_cast<int>(p.pid),
                                     static_cast<uint64_t>(p.seq));
          std::string name = dump_name;
          struct stat st;
          if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
            if (SameBytes(dir_fd, name, dump.bytes)) {
              ++duplicates;  // the same file collected twice
              close(dir_fd);
              return;
            }
            // Another process under the same pid (pid reuse, or one per pod): keep both.
            name = absl::StrFormat("leakscope.%d.%d.%016x.dump", p.pid, p.seq, p.instance_id);
          }
          // Mode 0600 as the recorder's dumps: stacks and command lines may be sensitive.
          bool ok = WriteFileAtomicallyAt(dir_fd, name, dump.bytes, 0600,
                                          (fs::path(dir) / name).string(), &write_error);
          close(dir_fd);
          if (!ok) {
            fprintf(stderr, "leakscope unpack: %s\n", EscapeText(write_error).c_str());
            write_failed = true;
            return;
          }
          ++written;
          processes.emplace(p.pid, p.instance_id);
        },
        &errors, &skipped);
  }
  for (const std::string& s : skipped) {
    fprintf(stderr, "leakscope unpack: %s: skipped: a temporary file of the recorder\n", s.c_str());
  }
  close(out_fd);
  for (const std::string& e : errors) {
    fprintf(stderr, "leakscope unpack: %s\n", EscapeText(e).c_str());
  }
  if (written == 0 && duplicates == 0) {
    fprintf(stderr, "leakscope unpack: no dumps found in %zu file%s\n", inputs.size(),
            inputs.size() == 1 ? "" : "s");
    return kExitUsage;
  }
  fprintf(stderr, "leakscope unpack: %zu dump%s of %zu process%s written to %s", written,
          written == 1 ? "" : "s", processes.size(), processes.size() == 1 ? "" : "es",
          out_dir->c_str());
  if (duplicates > 0)
    fprintf(stderr, " (%zu duplicate%s skipped)", duplicates, duplicates == 1 ? "" : "s");
  fprintf(stderr, "; next: leakscope trend %s\n", out_dir->c_str());
  if (write_failed) return kExitFailure;
  return errors.empty() ? kExitOk : kExitUsage;
}

}  // namespace leakscope::analyzer
