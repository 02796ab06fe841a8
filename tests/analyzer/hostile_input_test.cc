// SPDX-License-Identifier: Apache-2.0
// Issue 13, items 9-13, against the real leakscope binary: files it writes cannot be subverted by
// another user's links, a huge or duplicated dump costs one error line and not the analysis,
// and strings from a dump reach neither the terminal nor the JSON raw.
//
// The two-user tests create a system user, plant links as that user and run leakscope as root;
// they run only as root and are skipped otherwise.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dump.h"
#include "json_value.h"
#include "run_program.h"
#include "temp_dir.h"

namespace leakscope {
namespace {

namespace fs = std::filesystem;

using testing::ReadFile;
using testing::RunResult;

void WriteFile(const std::string& path, const std::string& bytes) {
  EXPECT_TRUE(testing::WriteFile(path, bytes)) << path;
}

// Runs `sh -c SCRIPT` where $LEAKSCOPE is the binary; a hang becomes a timeout.
RunResult RunShell(const std::string& script) {
  testing::RunOptions options;
  options.env["LEAKSCOPE"] = LEAKSCOPE_BIN;
  options.timeout_seconds = 60;
  return testing::RunShell(script, options);
}

// The data a `leakscope html` page embeds (its JSON script element), parsed.
::testing::AssertionResult PageData(const std::string& page, testing::JsonValue* data) {
  const std::string open = "<script type=\"application/json\" id=\"leakscope-data\">";
  size_t start = page.find(open);
  if (start == std::string::npos) return ::testing::AssertionFailure() << "no data in the page";
  start += open.size();
  size_t end = page.find("</script>", start);
  if (end == std::string::npos) return ::testing::AssertionFailure() << "unterminated data";
  return testing::ParseJson(std::string_view(page).substr(start, end - start), data);
}

size_t Lines(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

class HostileInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    chmod(dir_.c_str(), 0755);  // the other user must reach its directory below
    golden_ = GOLDEN_DIR;
  }
  void TearDown() override {
    if (!user_.empty()) {
      EXPECT_EQ(RunShell("userdel " + user_ + " 2>/dev/null").exit_code, 0);
    }
  }

  // Creates a system user without a home and returns its name; skips the test unless root.
  bool MakeOtherUser() {
    if (geteuid() != 0) return false;
    user_ = "lkstest" + std::to_string(getpid());
    if (RunShell("useradd --system --no-create-home --shell /usr/sbin/nologin " + user_)
            .exit_code != 0) {
      user_.clear();
      return false;
    }
    return true;
  }

  // A directory owned by the other user, writable only by them (not sticky: root follows links
  // there whatever fs.protected_symlinks says).
  std::string OtherUsersDir(const std::string& name) {
    std::string path = dir_ + "/" + name;
    EXPECT_EQ(mkdir(path.c_str(), 0755), 0);
    EXPECT_EQ(RunShell("chown " + user_ + " " + path).exit_code, 0);
    return path;
  }

  std::string AsOther(const std::string& command) {
    return "runuser -u " + user_ + " -- " + command;
  }

  testing::TempDir temp_;
  const std::string& dir_ = temp_.path();
  std::string golden_, user_;
};

// Item 9: `html -o` into a directory another user writes. They plant a link at the final name
// and at the temporary name the old writer used (<path>.tmp.<pid>: the shell's $$ is leakscope's
// pid after exec). Neither may lead root to write the file the links point to.
TEST_F(HostileInputTest, HtmlOutputNeverWritesThroughAnotherUsersLinks) {
  if (!MakeOtherUser()) GTEST_SKIP() << "needs root and useradd";
  std::string secret = dir_ + "/root-secret";
  WriteFile(secret, "root only\n");
  std::string out = OtherUsersDir("shared") + "/report.html";
  RunResult r = RunShell(AsOther("ln -s " + secret + " " + out + ".tmp.$$") + " && " +
                         AsOther("ln -s " + secret + " " + out) + " && exec $LEAKSCOPE html -q " +
                         golden_ + " -o " + out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(secret), "root only\n");
  struct stat st;
  ASSERT_EQ(lstat(out.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode)) << "the link at the final name is replaced, not followed";
  EXPECT_TRUE(ReadFile(out).starts_with("<!DOCTYPE html>"));
  // Only the planted temporary link and the report remain: the writer left no file of its own.
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(fs::path(out).parent_path())) {
    ++entries;
  }
  EXPECT_EQ(entries, 2u);
}

// Item 9: `unpack -o DIR` where DIR is another user's. They plant a container directory that is
// a link to a root-only directory, and a link at the old temporary name of another container's
// dump. Root's files stay as they were; the other container's dump is still written.
TEST_F(HostileInputTest, UnpackNeverWritesThroughAnotherUsersLinks) {
  if (!MakeOtherUser()) GTEST_SKIP() << "needs root and useradd";
  std::string secret = dir_ + "/root-secret";
  WriteFile(secret, "root only\n");
  std::string root_dir = dir_ + "/root-dir";
  ASSERT_EQ(mkdir(root_dir.c_str(), 0700), 0);
  std::string dump3 = ReadFile(golden_ + "/leakscope.4242.3.dump");
  std::string dump0 = ReadFile(golden_ + "/leakscope.5151.0.dump");
  WriteFile(root_dir + "/leakscope.4242.3.dump", "root's own file\n");
  std::string input = dir_ + "/yarn.log";
  WriteFile(input, "Container: container_a on node:1\nLogContents:\n" + dump3 +
                       "\nContainer: container_b on node:1\nLogContents:\n" + dump0 + "\n");
  std::string out = OtherUsersDir("out");
  RunResult r = RunShell(
      AsOther("ln -s " + root_dir + " " + out + "/container_a") + " && " +
      AsOther("mkdir " + out + "/container_b") + " && " +
      AsOther("ln -s " + secret + " " + out + "/container_b/leakscope.5151.0.dump.tmp.$$") +
      " && exec $LEAKSCOPE unpack " + input + " -o " + out);
  EXPECT_EQ(r.exit_code, 1) << r.err;  // one dump could not be written
  EXPECT_EQ(ReadFile(secret), "root only\n");
  EXPECT_EQ(ReadFile(root_dir + "/leakscope.4242.3.dump"), "root's own file\n");
  EXPECT_EQ(fs::directory_entry(root_dir + "/leakscope.4242.3.dump").exists(), true);
  EXPECT_EQ(std::distance(fs::directory_iterator(root_dir), fs::directory_iterator()), 1);
  EXPECT_NE(r.err.find("leakscope unpack: " + out +
                       "/container_a: not a directory (a symbolic link or a file is in the way)\n"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(ReadFile(out + "/container_b/leakscope.5151.0.dump"), dump0);
}

// What held before still holds: container names from the input never lead outside -o, whatever
// they hold ("..", slashes, escape sequences), and messages naming them are escaped.
TEST_F(HostileInputTest, UnpackKeepsHostileContainerNamesInsideTheOutputDirectory) {
  std::string dump0 = ReadFile(golden_ + "/leakscope.5151.0.dump");
  std::string dump1 = ReadFile(golden_ + "/leakscope.5151.1.dump");
  std::string dump2 = ReadFile(golden_ + "/leakscope.5151.2.dump");
  std::string input = dir_ + "/yarn.log";
  WriteFile(input, "Container: ../../escaped on node:1\nLogContents:\n" + dump0 +
                       "\nContainer: .. on node:1\nLogContents:\n" + dump1 +
                       "\nContainer: \x1b[2Jc on node:1\nLogContents:\n" + dump2 + "\n");
  std::string out = dir_ + "/deep/out";
  RunResult r = RunShell("exec $LEAKSCOPE unpack " + input + " -o " + out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(out + "/.._.._escaped/leakscope.5151.0.dump"), dump0);
  EXPECT_EQ(ReadFile(out + "/_../leakscope.5151.1.dump"), dump1);
  EXPECT_EQ(ReadFile(out + "/\x1b[2Jc/leakscope.5151.2.dump"), dump2);
  std::vector<std::string> outside;
  for (const auto& e : fs::recursive_directory_iterator(dir_)) {
    if (e.path().string().starts_with(out)) continue;
    if (e.path().filename().string().starts_with("leakscope.")) outside.push_back(e.path());
  }
  EXPECT_TRUE(outside.empty()) << outside[0];
  for (unsigned char c : r.err) EXPECT_TRUE(c == '\n' || (c >= 0x20 && c < 0x7f)) << int(c);
}

// Item 10: a valid dump extended to 64 GiB (sparse) is one bad file for every command, read
// without loading it: exit 2, one line naming it, and the good dumps beside it still analysed.
TEST_F(HostileInputTest, AHugeSparseDumpIsOneBadFileNotACrash) {
  std::string series = dir_ + "/series";
  fs::create_directory(series);
  for (int seq = 0; seq <= 5; ++seq) {
    std::string name = "/leakscope.4242." + std::to_string(seq) + ".dump";
    fs::copy_file(golden_ + name, series + name);
  }
  std::string good = ReadFile(golden_ + "/leakscope.5151.3.dump");
  std::string big = series + "/leakscope.5151.3.dump";
  WriteFile(big, good);
  ASSERT_EQ(truncate(big.c_str(), off_t{64} << 30), 0);
  std::string message = big + ": record 10 (end) at offset " + std::to_string(good.size() - 32) +
                        ": " + std::to_string((uint64_t{64} << 30) - good.size()) +
                        " unexpected bytes after the end record, from offset " +
                        std::to_string(good.size()) + "\n";

  RunResult r = RunShell("exec $LEAKSCOPE report -q " + big);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "leakscope report: " + message);

  r = RunShell("exec $LEAKSCOPE diff -q " + golden_ + "/leakscope.5151.0.dump " + big);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "leakscope diff: " + message);

  r = RunShell("exec $LEAKSCOPE trend -q " + series);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "leakscope trend: " + message);
  EXPECT_NE(r.out.find("Processes: 1 (6 dumps read, 1 unreadable)\n"), std::string::npos) << r.out;

  std::string html = dir_ + "/report.html";
  r = RunShell("exec $LEAKSCOPE html -q " + series + " -o " + html);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "leakscope html: " + message);
  testing::JsonValue data;
  ASSERT_TRUE(PageData(ReadFile(html), &data));
  EXPECT_EQ(data["dumps_read"].UInt(), 6u);
  ASSERT_EQ(data["errors"].size(), 1u);
  EXPECT_EQ(data["errors"][0].String() + "\n", message);
}

// Item 11: a truncated copy of a dump (same pid, instance and seq) that sorts before the complete
// one is the only unreadable file; the complete one is read, by trend and html alike.
TEST_F(HostileInputTest, ATruncatedCopyDoesNotHideTheCompleteDump) {
  std::string series = dir_ + "/series";
  fs::create_directories(series + "/a-copy");
  for (int seq = 0; seq <= 5; ++seq) {
    std::string name = "/leakscope.4242." + std::to_string(seq) + ".dump";
    fs::copy_file(golden_ + name, series + name);
  }
  std::string copy = series + "/a-copy/leakscope.4242.3.dump";
  WriteFile(copy, ReadFile(golden_ + "/leakscope.4242.3.dump").substr(0, 600));

  RunResult r = RunShell("exec $LEAKSCOPE trend -q " + series);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("Processes: 1 (6 dumps read, 1 unreadable)\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(": 6 dumps, seq 0..5 over"), std::string::npos) << r.out;
  EXPECT_EQ(Lines(r.err), 1u) << r.err;
  EXPECT_TRUE(r.err.starts_with("leakscope trend: " + copy + ": ")) << r.err;

  std::string html = dir_ + "/report.html";
  r = RunShell("exec $LEAKSCOPE html -q " + series + " -o " + html);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(Lines(r.err), 1u) << r.err;
  testing::JsonValue data;
  ASSERT_TRUE(PageData(ReadFile(html), &data));
  EXPECT_EQ(data["dumps_read"].UInt(), 6u);
  ASSERT_EQ(data["errors"].size(), 1u);
  EXPECT_TRUE(data["errors"][0].String().starts_with(copy + ": ")) << data["errors"][0].String();
  // Six points in the memory picture of the one process: seq 3 comes from the complete file.
  ASSERT_EQ(data["processes"].size(), 1u);
  EXPECT_EQ(data["processes"][0]["points"]["seq"].UInts(),
            (std::vector<uint64_t>{0, 1, 2, 3, 4, 5}));
}

// A dump whose strings hold what a hostile or merely non-UTF-8 program puts there.
std::string HostileDump() {
  Dump dump;
  dump.process.fixed.pid = 77;
  dump.process.host = "host\x1b]0;owned\x07";
  dump.process.executable = "/bin/caf\xe9";
  dump.process.args = {"/bin/caf\xe9",
                       "caf\xe9.txt",
                       "\x1b[2J\x1b[31mred",
                       "a\rb\nc",
                       std::string("nul\0byte", 8),
                       "\xc2\x9b"
                       "31m",
                       "\xe2\x80\xae"
                       "evil"};
  ModuleInfo module;
  module.fixed.start = 0x400000;
  module.fixed.end = 0x500000;
  module.fixed.flags = format::kModuleMain;
  module.path = "/opt/\x1b[1mapp";
  dump.modules.push_back(module);
  SiteInfo site;
  site.fixed.site_id = 1;
  site.fixed.depth = 1;
  site.fixed.alloc_count = site.fixed.alloc_est_count = 1;
  site.fixed.alloc_bytes = site.fixed.alloc_est_bytes = 64;
  site.pcs = {0x401000};
  dump.sites.push_back(site);
  dump.settings.sample_bytes = 1;
  StringSink sink;
  EXPECT_TRUE(WriteDump(dump, &sink));
  return sink.bytes();
}

// Item 13: no control byte from the dump reaches the terminal; each prints as an escape.
TEST_F(HostileInputTest, TextOutputEscapesControlCharactersFromTheDump) {
  std::string path = dir_ + "/leakscope.77.0.dump";
  WriteFile(path, HostileDump());
  for (const char* command : {"report", "report --format collapsed", "diff"}) {
    std::string args = std::string(command) + " -q " + path + (command[0] == 'd' ? " " + path : "");
    RunResult r = RunShell("exec $LEAKSCOPE " + args);
    ASSERT_EQ(r.exit_code, 0) << command << ": " << r.err;
    for (unsigned char c : r.out) {
      EXPECT_TRUE(c == '\n' || (c >= 0x20 && c < 0x7f)) << command << ": byte " << int(c);
    }
  }
  RunResult r = RunShell("exec $LEAKSCOPE report -q " + path);
  EXPECT_NE(r.out.find(" on host\\x1b]0;owned\\x07, dump #0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n  /bin/caf\\xe9 caf\\xe9.txt \\x1b[2J\\x1b[31mred a\\x0db\\x0ac "
                       "nul\\x00byte \\u009b31m \\u202eevil\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("> #0 \\x1b[1mapp+0x401000\n"), std::string::npos) << r.out;
}

// Item 13: JSON output is UTF-8 whatever the dump holds, and Python's json module reads it.
TEST_F(HostileInputTest, JsonOutputIsValidUtf8ThatPythonReads) {
  std::string path = dir_ + "/leakscope.77.0.dump";
  WriteFile(path, HostileDump());
  RunResult r = RunShell("exec $LEAKSCOPE report -q --format json " + path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"caf\\u00e9.txt\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"\\u009b31m\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"nul\\u0000byte\""), std::string::npos) << r.out;
  if (RunShell("command -v python3 >/dev/null").exit_code != 0) GTEST_SKIP() << "no python3";
  WriteFile(dir_ + "/report.json", r.out);
  WriteFile(dir_ + "/read.py",
            "import json, sys\n"
            "d = json.load(open(sys.argv[1], encoding='utf-8'))\n"
            "print(d['dump']['args'][1])\n");
  RunResult py = RunShell("exec python3 " + dir_ + "/read.py " + dir_ + "/report.json");
  EXPECT_EQ(py.exit_code, 0) << py.err;
  EXPECT_EQ(py.out, "caf\xc3\xa9.txt\n");
}

}  // namespace
}  // namespace leakscope
