// SPDX-License-Identifier: Apache-2.0
// The README's table of LEAKSCOPE_* variables documents exactly the recorder's options
// (preload/core/options.cc), in the same order: a variable added, renamed or removed on one side
// only fails here.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "core/options.h"

namespace leakscope::recorder {
namespace {

// The first column of the README's table whose rows start with "| `LEAKSCOPE_": one contiguous
// block of rows.
std::vector<std::string> ReadmeOptionNames() {
  std::ifstream readme(std::string(LEAKSCOPE_SOURCE_DIR) + "/README.md");
  std::vector<std::string> names;
  const std::string row_start = "| `LEAKSCOPE_";
  std::string line;
  while (std::getline(readme, line)) {
    if (line.rfind(row_start, 0) != 0) {
      if (!names.empty()) break;  // the end of the table
      continue;
    }
    size_t end = line.find('`', 3);
    names.push_back(line.substr(3, end - 3));
  }
  return names;
}

TEST(OptionDocs, TheReadmeTableListsEveryOptionInTheTablesOrder) {
  std::vector<std::string> recorder;
  for (size_t i = 0; i < OptionCount(); ++i) recorder.push_back(OptionName(i));
  EXPECT_EQ(OptionName(OptionCount()), nullptr);
  ASSERT_GE(recorder.size(), 13u);
  EXPECT_EQ(ReadmeOptionNames(), recorder);
}

}  // namespace
}  // namespace leakscope::recorder
