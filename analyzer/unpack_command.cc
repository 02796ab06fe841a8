// `leakscope unpack INPUT... -o DIR`: extracts the dumps embedded in `yarn logs` output.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli.h"
#include "commands.h"
#include "unpack.h"

namespace leakscope {
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
    "Options:\n"
    "  -o, --output DIR   where to write the dumps (created if missing)\n"
    "  -h, --help         this help\n";

// A path component from a container id or file name.
std::string SafeName(std::string name) {
  for (char& c : name) {
    if (c == '/' || c == '\0') c = '_';
  }
  if (name.empty() || name == "." || name == "..") name = "_" + name;
  return name;
}

bool SameBytes(const std::string& path, const std::string& bytes) {
  std::error_code ec;
  if (std::filesystem::file_size(path, ec) != bytes.size() || ec) return false;
  FILE* f = fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  std::string existing(bytes.size(), '\0');
  bool same = fread(existing.data(), 1, existing.size(), f) == existing.size() && existing == bytes;
  fclose(f);
  return same;
}

// Writes through a temporary name, mode 0600 as the recorder does (stacks and command lines may
// be sensitive).
bool WriteFileAtomically(const std::string& path, const std::string& bytes, std::string* error) {
  std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = absl::StrCat(path, ": ", strerror(errno));
    return false;
  }
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  bool ok = done == bytes.size();
  if (!ok) *error = absl::StrCat(path, ": ", strerror(errno));
  if (close(fd) != 0 && ok) {
    ok = false;
    *error = absl::StrCat(path, ": ", strerror(errno));
  }
  if (ok && rename(tmp.c_str(), path.c_str()) != 0) {
    ok = false;
    *error = absl::StrCat(path, ": ", strerror(errno));
  }
  if (!ok) unlink(tmp.c_str());
  return ok;
}

}  // namespace

int UnpackCommand(const std::vector<std::string>& args) {
  ArgParser parser({{"output", 'o', true}, {"help", 'h', false}});
  std::string error;
  if (!parser.Parse(args, &error)) return UsageError("unpack", error);
  if (parser.Has("help")) {
    fputs(kUnpackHelp, stdout);
    return kExitOk;
  }
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
          fs::path dir =
              fs::path(*out_dir) / (dump.container.empty() ? fallback : SafeName(dump.container));
          std::error_code mkdir_error;
          fs::create_directories(dir, mkdir_error);
          std::string path =
              (dir / absl::StrCat("leakscope.", p.pid, ".", p.seq, ".dump")).string();
          if (fs::exists(path, mkdir_error)) {
            if (SameBytes(path, dump.bytes)) {
              ++duplicates;  // the same file collected twice
              return;
            }
            // Another process under the same pid (pid reuse, or one per pod): keep both.
            path =
                (dir / absl::StrFormat("leakscope.%d.%d.%016x.dump", p.pid, p.seq, p.instance_id))
                    .string();
          }
          std::string write_error;
          if (!WriteFileAtomically(path, dump.bytes, &write_error)) {
            fprintf(stderr, "leakscope unpack: %s\n", write_error.c_str());
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
  for (const std::string& e : errors) fprintf(stderr, "leakscope unpack: %s\n", e.c_str());
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

}  // namespace leakscope
