// SPDX-License-Identifier: Apache-2.0
// LEAKSCOPE_PROCESS: the list it takes and the name it is matched against.
#include "core/process_filter.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "core/options.h"
#include "option_values.h"

namespace leakscope::recorder {
namespace {

TEST(ProcessFilter, MatchesWholeEntriesOfACommaSeparatedList) {
  EXPECT_TRUE(NameInList("java", "java"));
  EXPECT_TRUE(NameInList("python3, java", "java"));
  EXPECT_TRUE(NameInList(",java,", "java"));
  EXPECT_FALSE(NameInList("java", "javac"));  // no prefix match
  EXPECT_FALSE(NameInList("javac", "java"));
  EXPECT_FALSE(NameInList("Java", "java"));  // case matters, as in file names
  EXPECT_FALSE(NameInList("java", "bash"));
  EXPECT_FALSE(NameInList(",,", ""));  // an empty entry names no process
}

TEST(ProcessFilter, NamesTheExecutableByItsBaseName) {
  char name[256];
  ExecutableBaseName(name, sizeof(name));
  // The test binary is run by its path, so /proc/self/exe and argv[0] agree on the base name;
  // what matters is that it is a base name, the file's.
  EXPECT_STREQ(name, program_invocation_short_name);
  EXPECT_TRUE(ProcessSelected(nullptr));
  EXPECT_TRUE(ProcessSelected(name));
  EXPECT_FALSE(ProcessSelected("java"));
  char small[4];
  ExecutableBaseName(small, sizeof(small));
  EXPECT_EQ(std::string(small), std::string(name).substr(0, 3));
}

TEST(ProcessFilter, TheOptionKeepsItsValueAndRefusesAnEmptyList) {
  setenv("LEAKSCOPE_PROCESS", "java,python3", 1);
  EXPECT_STREQ(LoadOptions().process, "java,python3");
  setenv("LEAKSCOPE_PROCESS", " , ", 1);
  EXPECT_EQ(LoadOptions().process, nullptr);  // warned about; every process records
  unsetenv("LEAKSCOPE_PROCESS");
  EXPECT_EQ(LoadOptions().process, nullptr);
}

}  // namespace
}  // namespace leakscope::recorder
