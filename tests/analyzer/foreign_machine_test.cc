// SPDX-License-Identifier: Apache-2.0
// Dumps say which architecture recorded them (issue 18): report shows it (text and JSON), and
// report, diff and trend refuse to symbolize a dump of another architecture with this machine's
// files, in one line that names --sysroot, and read it when --sysroot is given.
#include "symbolize/foreign_machine.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "machine.h"
#include "run_program.h"
#include "temp_dir.h"
#include "test_dump_builder.h"

namespace leakscope::analyzer {
namespace {

constexpr uint64_t kBase = 0x7f0000000000;

// Whichever of the two architectures this machine is not.
constexpr uint32_t kOtherMachine =
    kThisMachine == format::kMachineX86_64 ? format::kMachineAarch64 : format::kMachineX86_64;

// Dump `seq` of process `pid`, recorded on `machine`, leaking 64 KiB a dump.
Dump MachineDump(int64_t pid, uint64_t seq, uint32_t machine) {
  Dump dump = testing::ProcessDump(pid, 1000 + pid, seq, 5'000'000'000);
  dump.process.machine_known = true;
  dump.process.machine = machine;
  dump.settings.sample_bytes = 1;
  testing::AddModule(&dump, "/nonexistent/app", kBase, 0x100000, 0);
  uint64_t bytes = (64u << 10) * (seq + 1);
  testing::AddSite(&dump, 1, {kBase + 0x1000}, {bytes / 64, bytes});
  return dump;
}

std::string WriteDumpIn(const testing::TempDir& dir, const Dump& dump) {
  StringSink sink;
  EXPECT_TRUE(WriteDump(dump, &sink));
  std::string path = dir.Sub("leakscope." + std::to_string(dump.process.fixed.pid) + "." +
                             std::to_string(dump.process.fixed.seq) + ".dump");
  EXPECT_TRUE(testing::WriteFile(path, sink.bytes()));
  return path;
}

testing::RunResult Leakscope(std::vector<std::string> args) {
  testing::RunOptions options;
  options.args = std::move(args);
  options.timeout_seconds = 20;
  return testing::RunProgram(LEAKSCOPE_BIN, options);
}

std::string Refusal(const std::string& command, const std::string& path) {
  return "leakscope " + command + ": " + path + ": the dump was recorded on " +
         MachineName(kOtherMachine) + " and this machine is " + MachineName(kThisMachine) +
         ", whose files cannot name its code; give --sysroot DIR, a copy of the recording "
         "machine's root (its program and libraries)";
}

TEST(ForeignMachine, OnlyAnotherArchitectureWithoutSysrootIsRefused) {
  ResolverOptions here;
  ResolverOptions sysroot;
  sysroot.sysroot = "/var/cache/roots/arm64";
  ProcessInfo own, other, old;
  own.machine = kThisMachine;
  other.machine = kOtherMachine;
  EXPECT_EQ(ForeignMachineError(own, here), "");
  EXPECT_EQ(ForeignMachineError(own, sysroot), "");
  EXPECT_NE(ForeignMachineError(other, here), "");
  EXPECT_EQ(ForeignMachineError(other, sysroot), "");
  // A dump from before the format said reads as x86-64 (ProcessInfo's default).
  EXPECT_EQ(old.machine, format::kMachineX86_64);
  EXPECT_EQ(MachineName(format::kMachineX86_64), "x86-64");
  EXPECT_EQ(MachineName(format::kMachineAarch64), "aarch64");
  EXPECT_EQ(MachineName(243), "ELF machine 243");  // EM_RISCV: no recorder writes it yet
}

TEST(ForeignMachine, ReportAndDiffRefuseWithOneLineThatNamesSysroot) {
  testing::TempDir dir;
  std::string other = WriteDumpIn(dir, MachineDump(7, 0, kOtherMachine));
  std::string own = WriteDumpIn(dir, MachineDump(8, 0, kThisMachine));

  testing::RunResult report = Leakscope({"report", other});
  EXPECT_EQ(report.exit_code, 2) << report.Describe();
  EXPECT_EQ(report.out, "");
  EXPECT_EQ(report.err, Refusal("report", other) + "\n");

  testing::RunResult diff = Leakscope({"diff", own, other});
  EXPECT_EQ(diff.exit_code, 2) << diff.Describe();
  EXPECT_EQ(diff.out, "");
  EXPECT_EQ(diff.err, Refusal("diff", other) + "\n");

  // This machine's own dumps are read as always.
  testing::RunResult own_report = Leakscope({"report", own});
  EXPECT_EQ(own_report.exit_code, 0) << own_report.Describe();
}

TEST(ForeignMachine, WithSysrootReportShowsTheArchitectureInTextAndJson) {
  testing::TempDir dir, root;
  std::string other = WriteDumpIn(dir, MachineDump(7, 0, kOtherMachine));

  testing::RunResult text = Leakscope({"report", "-q", "--sysroot", root.path(), other});
  ASSERT_EQ(text.exit_code, 0) << text.Describe();
  EXPECT_NE(text.out.find("\nArchitecture: " + MachineName(kOtherMachine) + "\n"),
            std::string::npos)
      << text.out;

  testing::RunResult json =
      Leakscope({"report", "-q", "--format", "json", "--sysroot", root.path(), other});
  ASSERT_EQ(json.exit_code, 0) << json.Describe();
  EXPECT_NE(json.out.find("\"architecture\": \"" + MachineName(kOtherMachine) + "\""),
            std::string::npos)
      << json.out;
}

TEST(ForeignMachine, TrendSkipsAnotherArchitecturesDumpsUnlessSysrootIsGiven) {
  testing::TempDir dir, root;
  std::vector<std::string> other;
  for (uint64_t seq = 0; seq < 3; ++seq) {
    WriteDumpIn(dir, MachineDump(8, seq, kThisMachine));
    other.push_back(WriteDumpIn(dir, MachineDump(7, seq, kOtherMachine)));
  }
  // As for any dump trend cannot read: the others are still analyzed, and the exit code says
  // that some were not.
  testing::RunResult trend = Leakscope({"trend", "-q", "--format", "json", dir.path()});
  EXPECT_EQ(trend.exit_code, 2) << trend.Describe();
  std::string skipped;
  for (const std::string& path : other) {
    skipped += Refusal("trend", path) + "; skipped\n";
  }
  EXPECT_EQ(trend.err, skipped);
  EXPECT_NE(trend.out.find("\"pid\": 8"), std::string::npos) << trend.out;
  EXPECT_EQ(trend.out.find("\"pid\": 7"), std::string::npos) << trend.out;

  testing::RunResult with_root =
      Leakscope({"trend", "-q", "--format", "json", "--sysroot", root.path(), dir.path()});
  EXPECT_EQ(with_root.exit_code, 0) << with_root.Describe();
  EXPECT_EQ(with_root.err, "");
  EXPECT_NE(with_root.out.find("\"pid\": 7"), std::string::npos) << with_root.out;
}

}  // namespace
}  // namespace leakscope::analyzer
