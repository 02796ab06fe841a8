// SPDX-License-Identifier: Apache-2.0
// WriteDumpFile: publishes exactly the encoded bytes, and when the program closes our descriptor
// and reuses its number mid-dump, neither writes into the program's file nor publishes anything.
#include "core/dump_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "temp_dir.h"

namespace leakscope::recorder {
namespace {

class DumpFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    temp_ = dir_ + "/.d.tmp";
    final_ = dir_ + "/d.dump";
  }
  std::vector<std::string> Names() const { return testing::ListDir(dir_); }
  static std::string Contents(const std::string& path) { return testing::ReadFile(path); }
  testing::TempDir scratch_;
  const std::string& dir_ = scratch_.path();
  std::string temp_, final_;
};

// The descriptor that names `path` in this process, -1 if none.
int FdOf(const std::string& path) {
  DIR* d = opendir("/proc/self/fd");
  int found = -1;
  while (dirent* e = readdir(d)) {
    char link[PATH_MAX];
    std::string entry = std::string("/proc/self/fd/") + e->d_name;
    ssize_t n = readlink(entry.c_str(), link, sizeof(link) - 1);
    if (n > 0 && std::string(link, static_cast<size_t>(n)) == path) found = atoi(e->d_name);
  }
  closedir(d);
  return found;
}

struct Encoding {
  std::string first, second;  // written before and after the program's move
  std::string victim;         // when set, the program's file that takes over our number
  std::string temp;           // the path our descriptor names
  int program_fd = -1;
};

bool Encode(ByteSink* sink, void* arg) {
  Encoding* e = static_cast<Encoding*>(arg);
  if (!e->first.empty() && !sink->Write(e->first.data(), e->first.size())) return false;
  if (!e->victim.empty()) {
    // What close_range + open does in a program thread: our number now names its file.
    int ours = FdOf(e->temp);
    EXPECT_GE(ours, 0);
    int theirs = open(e->victim.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    EXPECT_EQ(dup2(theirs, ours), ours);
    close(theirs);
    e->program_fd = ours;
  }
  return e->second.empty() || sink->Write(e->second.data(), e->second.size());
}

TEST_F(DumpFileTest, PublishesExactlyTheEncodedBytesWithMode0600) {
  // Larger than the write buffer, so several checked writes.
  Encoding e;
  e.first = std::string(3 << 20, 'a');
  e.second = "tail";
  DumpFileResult r = WriteDumpFile(temp_.c_str(), final_.c_str(), Encode, &e);
  ASSERT_TRUE(r.published) << r.step << ": " << strerror(r.error);
  EXPECT_EQ(r.bytes, e.first.size() + 4);
  EXPECT_EQ(Contents(final_), e.first + "tail");
  EXPECT_EQ(Names(), std::vector<std::string>{"d.dump"});
  struct stat st;
  ASSERT_EQ(stat(final_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(DumpFileTest, ADescriptorReusedByTheProgramGetsNoBytesAndNothingIsPublished) {
  std::string victim = dir_ + "/program.log";
  Encoding e{"LKSCDUMP", std::string(3 << 20, 'x'), victim, temp_};
  DumpFileResult r = WriteDumpFile(temp_.c_str(), final_.c_str(), Encode, &e);
  EXPECT_FALSE(r.published);
  EXPECT_EQ(r.error, EBADF);
  EXPECT_EQ(Contents(victim), "") << "our bytes went into the program's file";
  EXPECT_EQ(Names(), std::vector<std::string>{"program.log"});
  // The number is the program's: still open on its file, not closed by us.
  struct stat by_fd, by_path;
  ASSERT_EQ(stat(victim.c_str(), &by_path), 0);
  ASSERT_EQ(fstat(e.program_fd, &by_fd), 0) << "the program's descriptor was closed";
  EXPECT_EQ(by_fd.st_ino, by_path.st_ino);
  close(e.program_fd);
}

TEST_F(DumpFileTest, AnEmptyEncodingIsNotPublished) {
  Encoding e;
  DumpFileResult r = WriteDumpFile(temp_.c_str(), final_.c_str(), Encode, &e);
  EXPECT_FALSE(r.published);
  EXPECT_EQ(Names(), std::vector<std::string>{});
}

TEST_F(DumpFileTest, AStaleTemporaryIsReplaced) {
  {
    std::ofstream stale(temp_);
    stale << "left by an earlier image";
  }
  Encoding e;
  e.first = "fresh";
  ASSERT_TRUE(WriteDumpFile(temp_.c_str(), final_.c_str(), Encode, &e).published);
  EXPECT_EQ(Contents(final_), "fresh");
}

}  // namespace
}  // namespace leakscope::recorder
