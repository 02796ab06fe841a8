// SPDX-License-Identifier: Apache-2.0
// The pieces of `leakscope attach` that need no JVM: HotSpot's replies (as OpenJDK 17.0.15 and
// Temurin 25 send them, captured on this machine), /proc texts, the flags that disable
// attaching, the recorder's status file, and where the library goes in the JVM's filesystem.
// tests/jvm/jvm_attach.py runs the command against real JVMs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "attach/attach_protocol.h"
#include "attach/library_placement.h"
#include "attach/target_process.h"
#include "temp_dir.h"

namespace leakscope::analyzer::attach {
namespace {

using leakscope::testing::ListDir;
using leakscope::testing::ReadFile;
using leakscope::testing::TempDir;
using leakscope::testing::WriteFile;

TEST(LoadReply, ReadsTheAgentsReturnCodeInBothSpellings) {
  LoadReply reply;
  ASSERT_TRUE(ParseLoadReply("0\nreturn code: 0\n", &reply));  // OpenJDK 17.0.15, Temurin 25
  EXPECT_TRUE(reply.loaded);
  EXPECT_EQ(reply.agent_code, 0);
  ASSERT_TRUE(ParseLoadReply("0\n0\n", &reply));  // a bare code
  EXPECT_TRUE(reply.loaded);
  EXPECT_EQ(reply.agent_code, 0);
  ASSERT_TRUE(ParseLoadReply("0\nreturn code: -1\n", &reply));  // Agent_OnAttach said JNI_ERR
  EXPECT_TRUE(reply.loaded);
  EXPECT_EQ(reply.agent_code, -1);
}

TEST(LoadReply, AFailedLoadGivesTheJvmsReasonOnOneLine) {
  const std::string reason = "/x.so: cannot open shared object file: No such file or directory";
  for (const char* status : {"-1", "0"}) {  // OpenJDK 17, then Temurin 25
    SCOPED_TRACE(status);
    LoadReply reply;
    ASSERT_TRUE(
        ParseLoadReply(std::string(status) + "\n/x.so was not loaded.\n" + reason + "\n", &reply));
    EXPECT_FALSE(reply.loaded);
    EXPECT_EQ(reply.message, reason);
  }
  LoadReply reply;
  EXPECT_FALSE(reply.not_live_phase);
  ASSERT_TRUE(ParseLoadReply("101\n", &reply));  // HotSpot's ATTACH_ERROR_BADVERSION
  EXPECT_FALSE(reply.loaded);
  EXPECT_EQ(reply.message, "it does not speak attach protocol version 1");
  EXPECT_FALSE(ParseLoadReply("", &reply));
  EXPECT_FALSE(ParseLoadReply("attach?\n0\n", &reply));
}

// Temurin 25 while its attach listener is up before the VM is live (seen in the attach soak): a
// refusal for the phase, which `attach` asks again; other refusals are final.
TEST(LoadReply, ARefusalOutsideTheLivePhaseIsToldApart) {
  LoadReply reply;
  ASSERT_TRUE(
      ParseLoadReply("0\nDynamic agent loading is only permitted in the live phase\n", &reply));
  EXPECT_FALSE(reply.loaded);
  EXPECT_TRUE(reply.not_live_phase);
  EXPECT_EQ(reply.message, "Dynamic agent loading is only permitted in the live phase");
  ASSERT_TRUE(ParseLoadReply("0\n/x.so was not loaded.\n/x.so: bad ELF\n", &reply));
  EXPECT_FALSE(reply.not_live_phase);
}

TEST(ProcStatus, ReadsEffectiveIdsGroupsSignalsAndThePidInItsOwnNamespace) {
  const char* text =
      "Name:\tjava\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t9539\nPid:\t9539\n"
      "Uid:\t1000\t1001\t1001\t1001\nGid:\t2000\t2001\t2001\t2001\nGroups:\t4 24 2001 \n"
      "NStgid:\t9539\t1\nNSpid:\t9539\t1\nSigBlk:\t0000000000000000\n"
      "SigIgn:\t0000000000000002\nSigCgt:\t0000000101005ccd\n";
  ProcStatus status;
  ASSERT_TRUE(ParseProcStatus(text, &status));
  EXPECT_EQ(status.name, "java");
  EXPECT_EQ(status.state, 'S');
  EXPECT_EQ(status.uid, 1001u);
  EXPECT_EQ(status.gid, 2001u);
  EXPECT_EQ(status.groups, (std::vector<gid_t>{4, 24, 2001}));
  EXPECT_EQ(status.nspid, 1);
  TargetProcess target;
  target.status = status;
  EXPECT_TRUE(target.catches_sigquit());
  target.status.caught = 0x101001cc8;  // a JVM started with -Xrs
  EXPECT_FALSE(target.catches_sigquit());

  // Without NSpid (kernels before 4.1): Pid:.
  ASSERT_TRUE(ParseProcStatus("Name:\tx\nPid:\t77\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n", &status));
  EXPECT_EQ(status.nspid, 77);
  EXPECT_FALSE(ParseProcStatus("Name:\tx\nPid:\t77\nUid:\t0\n", &status));
}

TEST(Maps, ListsEachMappedFileOnceWithDeviceAndInode) {
  const char* text =
      "7f75000-7f75100 r--p 00000000 fe:00 5449336    /opt/my jdk/lib/server/libjvm.so\n"
      "7f75100-7f75200 r-xp 00001000 fe:00 5449336    /opt/my jdk/lib/server/libjvm.so\n"
      "7f76000-7f76100 r--p 00000000 00:29 6          /tmp/leakscope-0/libleakscope-22af78ee-3.so\n"
      "7f77000-7f77100 rw-p 00000000 00:00 0          [heap]\n"
      "7f78000-7f78100 rw-p 00000000 00:00 0 \n";
  std::vector<MappedFile> files = ParseMaps(text);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path, "/opt/my jdk/lib/server/libjvm.so");
  EXPECT_EQ(files[0].dev_major, 0xfeu);
  EXPECT_EQ(files[0].inode, 5449336u);
  EXPECT_EQ(files[1].path, "/tmp/leakscope-0/libleakscope-22af78ee-3.so");
  EXPECT_EQ(files[1].dev_minor, 0x29u);
  EXPECT_TRUE(IsHotSpotLibrary(files[0].path));
  EXPECT_TRUE(IsRecorderLibrary(files[1].path));
  EXPECT_TRUE(IsRecorderLibrary("/build/lib/libleakscope.so (deleted)"));
  EXPECT_FALSE(IsRecorderLibrary("/opt/libleakscope.so.txt"));
  EXPECT_FALSE(IsHotSpotLibrary("/opt/libjvm.so.bak"));
  EXPECT_TRUE(IsOpenJ9Library("/opt/openj9/lib/default/libj9vm29.so"));
  EXPECT_FALSE(IsOpenJ9Library("/opt/jdk/lib/server/libjvm.so"));
}

TEST(AttachDisabledBy, FollowsTheOrderTheJvmReadsItsOptionsIn) {
  EXPECT_EQ(AttachDisabledBy({"java", "-XX:+DisableAttachMechanism", "Main"}, {}),
            "its command line");
  EXPECT_EQ(AttachDisabledBy({"java", "Main"}, {"JAVA_TOOL_OPTIONS=-Xmx1g "
                                                "-XX:+DisableAttachMechanism"}),
            "its JAVA_TOOL_OPTIONS");
  // The command line comes after JAVA_TOOL_OPTIONS; _JAVA_OPTIONS after both.
  EXPECT_EQ(AttachDisabledBy({"java", "-XX:-DisableAttachMechanism", "Main"},
                             {"JAVA_TOOL_OPTIONS=-XX:+DisableAttachMechanism"}),
            std::nullopt);
  EXPECT_EQ(AttachDisabledBy({"java", "-XX:-DisableAttachMechanism", "Main"},
                             {"_JAVA_OPTIONS=-XX:+DisableAttachMechanism"}),
            "its _JAVA_OPTIONS");
  EXPECT_EQ(AttachDisabledBy({"java", "Main", "-XX:+DisableAttachMechanismX"}, {}), std::nullopt);
}

// A target whose filesystem is `root` (a directory standing for /proc/PID/root), with our uid.
TargetProcess FakeTarget(const std::string& root, pid_t nspid) {
  TargetProcess target;
  target.root = root;
  target.status.uid = geteuid();
  target.status.gid = getegid();
  target.status.nspid = nspid;
  return target;
}

TEST(PlaceLibrary, PassesOurPathWhenTheJvmSeesTheSameFile) {
  TempDir tmp;
  ASSERT_TRUE(WriteFile(tmp.Sub("libleakscope.so"), "ELF of the recorder"));
  int fd = open(tmp.Sub("libleakscope.so").c_str(), O_RDONLY);
  std::string error;
  EXPECT_EQ(PlaceLibrary(fd, tmp.Sub("libleakscope.so"), FakeTarget("", 1), &error),
            tmp.Sub("libleakscope.so"))
      << error;
  close(fd);
}

TEST(PlaceLibrary, CopiesIntoThePrivateDirectoryOfTheJvmsTmpAndReusesTheCopy) {
  TempDir ours, theirs;
  const std::string content = "ELF of the recorder, build 1";
  ASSERT_TRUE(WriteFile(ours.Sub("libleakscope.so"), content));
  ASSERT_EQ(mkdir(theirs.Sub("tmp").c_str(), 01777), 0);
  TargetProcess target = FakeTarget(theirs.path(), 1);
  int fd = open(ours.Sub("libleakscope.so").c_str(), O_RDONLY);
  std::string error;
  std::string path = PlaceLibrary(fd, ours.Sub("libleakscope.so"), target, &error);
  const std::string dir = "/tmp/leakscope-" + std::to_string(geteuid());
  // crc32("ELF of the recorder, build 1"), the size.
  EXPECT_EQ(path, dir + "/libleakscope-" + "9593f59f" + "-28.so") << error;
  struct stat st, again;
  ASSERT_EQ(stat(theirs.Sub(path.substr(1)).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0500u);
  EXPECT_EQ(ReadFile(theirs.Sub(path.substr(1))), content);
  ASSERT_EQ(stat(theirs.Sub(dir.substr(1)).c_str(), &again), 0);
  EXPECT_EQ(again.st_mode & 07777, 0700u);

  // Again: the same copy, not a new file.
  EXPECT_EQ(PlaceLibrary(fd, ours.Sub("libleakscope.so"), target, &error), path);
  ASSERT_EQ(stat(theirs.Sub(path.substr(1)).c_str(), &again), 0);
  EXPECT_EQ(again.st_ino, st.st_ino);
  EXPECT_EQ(ListDir(theirs.Sub(dir.substr(1))).size(), 1u);  // no temporary left
  close(fd);

  // A directory others can write to is not used.
  ASSERT_EQ(chmod(theirs.Sub(dir.substr(1)).c_str(), 0777), 0);
  fd = open(ours.Sub("libleakscope.so").c_str(), O_RDONLY);
  EXPECT_EQ(PlaceLibrary(fd, ours.Sub("libleakscope.so"), target, &error), "");
  EXPECT_EQ(error, dir + " in the JVM's filesystem is not a directory of uid " +
                       std::to_string(geteuid()) +
                       " alone; remove it or pass --lib with a path the JVM can read");
  close(fd);
}

}  // namespace
}  // namespace leakscope::analyzer::attach
