// SPDX-License-Identifier: Apache-2.0
// The recorder's own module table (glibc < 2.35) against glibc's _dl_find_object, the oracle on
// this machine: the same module and .eh_frame_hdr for every loaded module's code; a library
// dlopened later is found after a refresh and forgotten once dlclosed; and an unload waits for a
// lookup in flight. The walk tests (frame_shape_test.cc, stack_walker_test.cc) run a second time
// through the table: the CTest recorder.walks_through_module_table.
#include "unwind/module_table.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <link.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace leakscope::recorder {
namespace {

struct Probe {
  uintptr_t pc;
  const char* module;
};

int CollectProbes(dl_phdr_info* info, size_t, void* data) {
  auto* probes = static_cast<std::vector<Probe>*>(data);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || (ph.p_flags & PF_X) == 0 || ph.p_memsz < 16) continue;
    uintptr_t start = info->dlpi_addr + ph.p_vaddr;
    for (uintptr_t pc : {start, start + ph.p_memsz / 2, start + ph.p_memsz - 1}) {
      probes->push_back({pc, info->dlpi_name});
    }
  }
  return 0;
}

struct Answer {
  ModuleLookup::Result result;
  const uint8_t* hdr;
  bool operator==(const Answer&) const = default;
};

Answer Ask(uintptr_t pc) {
  ModuleLookup lookup;
  Answer a{ModuleLookup::Result::kNoModule, nullptr};
  a.result = lookup.Find(pc, &a.hdr);
  return a;
}

// Restores _dl_find_object (where there is one) after each test.
class ModuleTable : public ::testing::Test {
 protected:
  void SetUp() override { InitModuleTable(); }
  void TearDown() override { internal::UseModuleTableForTests(false); }
};

TEST_F(ModuleTable, FindsWhatDlFindObjectFindsInEveryModule) {
  std::vector<Probe> probes;
  dl_iterate_phdr(CollectProbes, &probes);
  ASSERT_GT(probes.size(), 6u);  // this test, libstdc++, libc, ld.so at least
  internal::UseModuleTableForTests(false);
  if (ModuleTableInUse()) GTEST_SKIP() << "this glibc has no _dl_find_object to compare with";
  std::vector<Answer> oracle;
  for (const Probe& p : probes) oracle.push_back(Ask(p.pc));
  internal::UseModuleTableForTests(true);
  ASSERT_TRUE(ModuleTableInUse());
  for (size_t i = 0; i < probes.size(); ++i) {
    SCOPED_TRACE(probes[i].module);
    EXPECT_EQ(oracle[i].result, ModuleLookup::Result::kFound);
    EXPECT_EQ(Ask(probes[i].pc), oracle[i]);
  }
  // Code in no module, like a JIT's.
  EXPECT_EQ(Ask(0).result, ModuleLookup::Result::kNoModule);
  EXPECT_EQ(Ask(UINTPTR_MAX).result, ModuleLookup::Result::kNoModule);
}

TEST_F(ModuleTable, FindsADlopenedLibraryAfterARefreshAndForgetsItAfterAnUnload) {
  internal::UseModuleTableForTests(true);
  void* handle = dlopen(TEST_LIBRARY, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << dlerror();
  auto pc = reinterpret_cast<uintptr_t>(dlsym(handle, "leaky_run"));
  ASSERT_NE(pc, 0u);
  // Not known until the dlopen hook refreshes the table (here, by hand).
  EXPECT_EQ(Ask(pc).result, ModuleLookup::Result::kNoModule);
  RefreshModuleTable();
  Answer found = Ask(pc);
  ASSERT_EQ(found.result, ModuleLookup::Result::kFound);
  internal::UseModuleTableForTests(false);
  if (!ModuleTableInUse()) {
    EXPECT_EQ(Ask(pc), found);  // the oracle agrees
  }
  internal::UseModuleTableForTests(true);

  // What the dlclose hook does. Between Begin and End nothing is found, not even this test's own
  // code, which stays loaded.
  auto own_pc = reinterpret_cast<uintptr_t>(&Ask);
  ASSERT_EQ(Ask(own_pc).result, ModuleLookup::Result::kFound);
  BeginModuleUnload();
  EXPECT_EQ(Ask(own_pc).result, ModuleLookup::Result::kNoModule);
  ASSERT_EQ(dlclose(handle), 0);
  ASSERT_EQ(dlopen(TEST_LIBRARY, RTLD_NOW | RTLD_NOLOAD), nullptr);  // really unmapped
  EndModuleUnload();
  EXPECT_EQ(Ask(own_pc).result, ModuleLookup::Result::kFound);
  EXPECT_EQ(Ask(pc).result, ModuleLookup::Result::kNoModule);
  std::vector<internal::ModuleEntry> entries(kMaxModules);
  uint32_t n = internal::ModuleTableSnapshot(entries.data(), kMaxModules);
  for (uint32_t i = 0; i < n; ++i) {
    EXPECT_FALSE(pc - entries[i].begin < entries[i].end - entries[i].begin)
        << "an entry still covers the unloaded library";
  }
  EXPECT_EQ(ModuleTableDropped(), 0u);
}

TEST_F(ModuleTable, AnUnloadWaitsForALookupInFlight) {
  internal::UseModuleTableForTests(true);
  std::atomic<bool> holding{false}, release{false}, unload_began{false};
  std::thread walker([&] {
    ModuleLookup lookup;
    const uint8_t* hdr;
    EXPECT_EQ(lookup.Find(reinterpret_cast<uintptr_t>(&Ask), &hdr), ModuleLookup::Result::kFound);
    holding = true;
    while (!release) std::this_thread::yield();
  });
  while (!holding) std::this_thread::yield();
  std::thread unloader([&] {
    BeginModuleUnload();
    unload_began = true;
  });
  // However long we look, the unload must not pass the lookup (and then it does, at once).
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(unload_began);
  release = true;
  walker.join();
  unloader.join();
  EXPECT_TRUE(unload_began);
  EndModuleUnload();
}

// Two unloads overlapping: the second flips the generation back onto the slot the first is still
// draining. It must not return (and its dlclose unmap a module) while a lookup counted before the
// first one is still reading. It did: each unload waited for its own old slot only, which held
// none of the earlier lookups.
TEST_F(ModuleTable, ASecondUnloadWaitsForTheLookupsTheFirstOneWaitsFor) {
  internal::UseModuleTableForTests(true);
  std::atomic<bool> holding{false}, release{false}, first_began{false}, second_began{false};
  std::thread walker([&] {
    ModuleLookup lookup;
    const uint8_t* hdr;
    EXPECT_EQ(lookup.Find(reinterpret_cast<uintptr_t>(&Ask), &hdr), ModuleLookup::Result::kFound);
    holding = true;
    while (!release) std::this_thread::yield();
  });
  while (!holding) std::this_thread::yield();
  std::thread first([&] {
    BeginModuleUnload();
    first_began = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the first has flipped
  std::thread second([&] {
    BeginModuleUnload();
    second_began = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(first_began);
  EXPECT_FALSE(second_began);
  release = true;
  walker.join();
  first.join();
  second.join();
  EXPECT_TRUE(first_began);
  EXPECT_TRUE(second_began);
  EndModuleUnload();
  EndModuleUnload();
}

// Full: the modules that do not fit are counted, never added (no growth), and their pcs are in no
// module (a walk stops there); those that fit are found as before.
TEST_F(ModuleTable, AFullTableCountsTheModulesItLeavesOut) {
  internal::UseModuleTableForTests(true);
  std::vector<internal::ModuleEntry> all(kMaxModules);
  uint32_t n = internal::ModuleTableSnapshot(all.data(), kMaxModules);
  ASSERT_GT(n, 4u);
  internal::ResetModuleTableForTests(3);
  std::vector<internal::ModuleEntry> kept(kMaxModules);
  ASSERT_EQ(internal::ModuleTableSnapshot(kept.data(), kMaxModules), 3u);
  EXPECT_EQ(ModuleTableDropped(), n - 3);
  for (uint32_t i = 0; i < n; ++i) {
    bool fits = i < 3;
    EXPECT_EQ(Ask(all[i].begin).result != ModuleLookup::Result::kNoModule, fits) << i;
  }
  RefreshModuleTable();  // a later refresh does not grow it either
  EXPECT_EQ(internal::ModuleTableSnapshot(kept.data(), kMaxModules), 3u);
  internal::ResetModuleTableForTests(kMaxModules);
  EXPECT_EQ(internal::ModuleTableSnapshot(kept.data(), kMaxModules), n);
  EXPECT_EQ(ModuleTableDropped(), 0u);
}

// A fork child has only the forking thread: a lookup another thread had in flight at fork never
// ends there, and the child handler forgets it, or the child's first dlclose would wait for it
// (kUnloadWaitMs, 1 s, then go on unsafely).
TEST_F(ModuleTable, AForkChildDoesNotWaitForTheParentsLookups) {
  internal::UseModuleTableForTests(true);
  std::atomic<bool> holding{false}, release{false};
  std::thread walker([&] {
    ModuleLookup lookup;
    holding = true;
    while (!release) std::this_thread::yield();
  });
  while (!holding) std::this_thread::yield();
  pid_t pid = fork();
  if (pid == 0) {
    ResetModuleLookupsInChild();  // what AfterForkInChild does
    auto start = std::chrono::steady_clock::now();
    BeginModuleUnload();
    EndModuleUnload();
    auto waited = std::chrono::steady_clock::now() - start;
    bool found = Ask(reinterpret_cast<uintptr_t>(&Ask)).result == ModuleLookup::Result::kFound;
    _exit(waited < std::chrono::milliseconds(500) && found ? 0 : 1);
  }
  release = true;
  walker.join();
  ASSERT_GT(pid, 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
}

}  // namespace
}  // namespace leakscope::recorder
