// SPDX-License-Identifier: Apache-2.0
#include "symbolize/module_resolver.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include "absl/strings/str_cat.h"
#include "symbolize/frame.h"

namespace leakscope::analyzer {
namespace {

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::vector<std::string> DebugRoots(const ResolverOptions& options) {
  std::vector<std::string> roots = options.debug_dirs;
  if (!options.sysroot.empty()) roots.push_back(absl::StrCat(options.sysroot, "/usr/lib/debug"));
  roots.push_back("/usr/lib/debug");
  return roots;
}

// CRC-32 of a whole file, as .gnu_debuglink records it; false when unreadable.
bool FileCrc(const std::string& path, uint32_t* crc) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  uLong value = crc32(0, nullptr, 0);
  std::vector<unsigned char> buffer(1 << 16);
  for (;;) {
    ssize_t n = read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      close(fd);
      return false;
    }
    if (n == 0) break;
    value = crc32(value, buffer.data(), static_cast<uInt>(n));
  }
  close(fd);
  *crc = static_cast<uint32_t>(value);
  return true;
}

std::unique_ptr<ElfFile> FindByBuildId(const std::string& build_id,
                                       const std::vector<std::string>& roots) {
  if (build_id.size() < 2) return nullptr;
  std::string hex = HexString(build_id);
  for (const std::string& root : roots) {
    std::string candidate =
        absl::StrCat(root, "/.build-id/", hex.substr(0, 2), "/", hex.substr(2), ".debug");
    auto file = ElfFile::Open(candidate);
    if (file != nullptr && file->BuildId() == build_id) return file;
  }
  return nullptr;
}

std::unique_ptr<ElfFile> FindByDebugLink(const ElfFile& binary, const std::string& module_path,
                                         const std::string& build_id,
                                         const ResolverOptions& options) {
  std::string name;
  uint32_t crc = 0;
  if (!binary.DebugLink(&name, &crc)) return nullptr;
  std::string dir = Dirname(binary.path());       // where the binary was found (under sysroot)
  std::string module_dir = Dirname(module_path);  // its path on the recording machine
  std::vector<std::string> candidates = {absl::StrCat(dir, "/", name),
                                         absl::StrCat(dir, "/.debug/", name)};
  for (const std::string& root : DebugRoots(options)) {
    candidates.push_back(absl::StrCat(root, module_dir, "/", name));
  }
  for (const std::string& candidate : candidates) {
    if (candidate == binary.path()) continue;
    auto file = ElfFile::Open(candidate);
    if (file == nullptr) continue;
    std::string file_id = file->BuildId();
    bool matches = false;
    if (!file_id.empty() && !build_id.empty()) {
      matches = file_id == build_id;
    } else {
      uint32_t file_crc = 0;
      matches = FileCrc(candidate, &file_crc) && file_crc == crc;
    }
    if (matches) return file;
  }
  return nullptr;
}

}  // namespace

ResolvedModule ResolveModule(const std::string& path, const std::string& build_id,
                             const ResolverOptions& options) {
  ResolvedModule result;
  std::vector<std::string> roots = DebugRoots(options);
  std::string binary_path = options.sysroot.empty() ? path : absl::StrCat(options.sysroot, path);
  auto binary = ElfFile::Open(binary_path);
  // Name the file only when it is not the module path itself (i.e. under --sysroot).
  std::string where = binary_path == path ? "" : absl::StrCat(" at ", binary_path);
  if (binary != nullptr) {
    std::string file_id = binary->BuildId();
    if (file_id == build_id) {
      result.binary = std::move(binary);
    } else if (build_id.empty()) {
      result.problem = absl::StrCat("the file", where, " has build-id ", HexString(file_id),
                                    ", the dump recorded none");
    } else if (file_id.empty()) {
      result.problem = absl::StrCat("the file", where, " has no build-id, the dump recorded ",
                                    HexString(build_id));
    } else {
      result.problem =
          absl::StrCat("build-id mismatch: the file", where, " has ", HexString(file_id),
                       ", the dump recorded ", HexString(build_id));
    }
  } else {
    result.problem = absl::StrCat("not found", where, " (nor a debug file for its build-id)");
  }

  // A debug file found by build-id is as good as the binary: it has the symbols and the DWARF.
  result.debug = FindByBuildId(build_id, roots);
  if (result.debug == nullptr && result.binary != nullptr) {
    result.debug = FindByDebugLink(*result.binary, path, build_id, options);
  }
  if (result.binary != nullptr || result.debug != nullptr) result.problem.clear();
  return result;
}

}  // namespace leakscope::analyzer
