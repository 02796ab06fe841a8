// SPDX-License-Identifier: Apache-2.0
// A test fixture with a fresh temporary directory (tests/support/temp_dir.h) and a way to write
// files into it, for tests that read dumps from disk.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <string_view>

#include "temp_dir.h"

namespace leakscope {

class TempFileTest : public ::testing::Test {
 protected:
  // Writes `bytes` to <dir>/<name> (mode 0600) and returns the path.
  std::string WriteFile(const std::string& name, std::string_view bytes) {
    std::string path = temp_.Sub(name);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    ::close(fd);
    return path;
  }

  testing::TempDir temp_;
  const std::string& dir_ = temp_.path();
};

}  // namespace leakscope
