// SPDX-License-Identifier: Apache-2.0
// A fresh private directory for one test, removed with everything in it when the object dies.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace leakscope::testing {

class TempDir {
 public:
  // Creates <$TMPDIR or /tmp>/leakscope-test.XXXXXX (mode 0700). Aborts the test binary when the
  // directory cannot be created: no test can run meaningfully without it.
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string Sub(const std::string& name) const;

 private:
  std::string path_;
};

// The whole content of a file; "" when it cannot be read.
std::string ReadFile(const std::string& path);

// Replaces the file's content with `bytes` (mode 0600 when it is created); false on any error.
bool WriteFile(const std::string& path, std::string_view bytes);

// Names of the entries of a directory (no "." or ".."), sorted. Empty when it cannot be read.
std::vector<std::string> ListDir(const std::string& dir);

}  // namespace leakscope::testing
