// Scenarios about zlib streams: every inflate/deflate init is recorded with its stack and removed
// at its End, whether zlib is linked by the program or reached through a library that was
// dlopen'ed with RTLD_LOCAL (as the JVM's libzip.so is).
#include "scenario_fixture.h"

namespace leakscope::testing {
namespace {

using format::StreamKind;

TEST(ZlibStreams, OpenStreamsAreCountedExactlyByKindAndSite) {
  TempDir dir;
  Dump dump;
  ASSERT_TRUE(RunExact(dir, Program("zlib_streams"), {}, &dump));
  SiteFinder f(dump);
  const StreamKind kIn = StreamKind::kInflate, kDe = StreamKind::kDeflate;
  EXPECT_EQ(Streams(f.StreamsOpenedIn("inflate_leak", kIn)), "open 3 of 3") << f.DescribeSites();
  EXPECT_EQ(Streams(f.StreamsOpenedIn("inflate2_leak", kIn)), "open 1 of 1");
  EXPECT_EQ(Streams(f.StreamsOpenedIn("deflate_leak", kDe)), "open 2 of 2");
  EXPECT_EQ(Streams(f.StreamsOpenedIn("deflate2_leak", kDe)), "open 1 of 1");
  // Nothing of the other kind at those sites.
  EXPECT_EQ(f.StreamsOpenedIn("inflate_leak", kDe).records, 0u);
  EXPECT_EQ(f.StreamsOpenedIn("deflate_leak", kIn).records, 0u);
  // Ended streams are not open; a record for them, if any, says how many were opened.
  for (auto [function, kind, opened] :
       {std::tuple{"inflate_ended", kIn, 2}, std::tuple{"deflate_ended", kDe, 2},
        std::tuple{"roundtrip", kIn, 1}, std::tuple{"roundtrip", kDe, 1}}) {
    SCOPED_TRACE(function);
    StreamTotals t = f.StreamsOpenedIn(function, kind);
    EXPECT_EQ(t.open_count, 0u);
    if (t.records > 0) {
      EXPECT_EQ(t.opened_total, static_cast<uint64_t>(opened));
    }
  }
  EXPECT_EQ(f.AllStreams(kIn).open_count, 4u);
  EXPECT_EQ(f.AllStreams(kDe).open_count, 3u);

  EXPECT_GT(dump.counters.zlib_calls, 0u);
  EXPECT_EQ(dump.counters.zlib_missing_real, 0u);
  EXPECT_EQ(dump.counters.dropped_streams_full, 0u);
}

TEST(ZlibStreams, ZlibsOwnBlocksAreSeenByTheMallocHooks) {
  TempDir dir;
  Dump dump;
  ASSERT_TRUE(RunExact(dir, Program("zlib_streams"), {}, &dump));
  SiteFinder f(dump);
  // inflateInit allocates one inflate_state (the window comes with the first inflate call).
  EXPECT_EQ(f.Through("inflate_leak").live_count, 3u) << f.DescribeSites();
  EXPECT_GT(f.Through("deflate_leak").live_bytes, 2u * 65536);  // window, hash and buffers
  for (const char* ended : {"inflate_ended", "deflate_ended", "roundtrip"}) {
    SCOPED_TRACE(ended);
    SiteTotals t = f.Through(ended);
    EXPECT_GT(t.alloc_count, 0u);
    EXPECT_EQ(t.live_count, 0u);
    EXPECT_EQ(t.live_bytes, 0u);
  }
}

// The truth file zlib_window writes: "inflate <bytes>\ndeflate <bytes>\n".
void ReadWindowTruth(const std::string& path, uint64_t* inflate_bytes, uint64_t* deflate_bytes) {
  FILE* file = fopen(path.c_str(), "r");
  ASSERT_NE(file, nullptr) << path;
  unsigned long long in = 0, de = 0;
  ASSERT_EQ(fscanf(file, "inflate %llu deflate %llu", &in, &de), 2);
  fclose(file);
  *inflate_bytes = in;
  *deflate_bytes = de;
}

// Runs zlib_window in dir with `options` (its argument: the truth file in dir), expects a clean
// exit, and loads its exit dump and what it wrote in the truth file.
void RunZlibWindow(const TempDir& dir, RunOptions options, Dump* dump, uint64_t* inflate_truth,
                   uint64_t* deflate_truth) {
  options.args = {dir.path() + "/truth"};
  RunResult run = RunIn(dir, Program("zlib_window"), options);
  ASSERT_TRUE(CleanExit(run));
  ASSERT_TRUE(LoadLastDump(dir.path(), run.pid, dump));
  ReadWindowTruth(dir.path() + "/truth", inflate_truth, deflate_truth);
}

// Every byte a stream on zlib's default allocator holds, including the window inflate()
// allocates long after the init, is charged exactly to the stack that opened the stream.
void ExpectStreamMemoryAtOpeningSite(const RunOptions& options) {
  TempDir dir;
  Dump dump;
  uint64_t inflate_truth, deflate_truth;
  ASSERT_NO_FATAL_FAILURE(RunZlibWindow(dir, options, &dump, &inflate_truth, &deflate_truth));
  ASSERT_GT(inflate_truth, 32u << 10);  // the window is there
  ASSERT_GT(deflate_truth, 256u << 10);
  SiteFinder f(dump);
  const StreamKind kIn = StreamKind::kInflate, kDe = StreamKind::kDeflate;
  StreamTotals in = f.StreamsOpenedIn("inflate_window_leak", kIn);
  StreamTotals de = f.StreamsOpenedIn("deflate_window_leak", kDe);
  EXPECT_EQ(in.open_count, 1u) << f.DescribeSites();
  EXPECT_EQ(in.open_bytes, inflate_truth);
  EXPECT_EQ(de.open_count, 1u);
  EXPECT_EQ(de.open_bytes, deflate_truth);
  // The same bytes are live allocations of the opening site, exact even when sampling.
  SiteTotals in_site = f.Through("inflate_window_leak");
  SiteTotals de_site = f.Through("deflate_window_leak");
  EXPECT_EQ(in_site.live_bytes, inflate_truth);
  EXPECT_EQ(in_site.live_est_bytes, inflate_truth);
  EXPECT_EQ(de_site.live_bytes, deflate_truth);
  EXPECT_EQ(de_site.live_est_bytes, deflate_truth);
  // A stream on the program's own allocator is recorded but not attributed.
  StreamTotals twin = f.StreamsOpenedIn("counted_twin", kIn);
  EXPECT_EQ(twin.open_count, 1u);
  EXPECT_EQ(twin.open_bytes, 0u);
}

TEST(ZlibStreams, StreamMemoryIsChargedExactlyToTheOpeningSite) {
  ExpectStreamMemoryAtOpeningSite(Exact());
}

TEST(ZlibStreams, StreamMemoryIsExactEvenWhenSampling) {
  RunOptions options = Defaults();
  options.env["LEAKSCOPE_INTERVAL"] = "0";
  ExpectStreamMemoryAtOpeningSite(options);
}

TEST(ZlibStreams, ProgramsOwnAllocatorIsLeftAlone) {
  TempDir dir;
  Dump dump;
  uint64_t inflate_truth, deflate_truth;
  ASSERT_NO_FATAL_FAILURE(RunZlibWindow(dir, Exact(), &dump, &inflate_truth, &deflate_truth));
  // The twins' blocks come through counting_alloc -> malloc, seen by the malloc hooks there.
  SiteFinder f(dump);
  EXPECT_EQ(f.Through("counting_alloc").live_bytes, inflate_truth + deflate_truth)
      << f.DescribeSites();
}

TEST(ZlibDlopen, StreamsOfARtldLocalZlibAreRecorded) {
  TempDir dir;
  Dump dump;
  // Exit code 0: the program found zlib unloaded at start, and every zlib call through the
  // recorder reached the real zlib and worked (a deflate/inflate round trip).
  ASSERT_TRUE(RunExact(dir, Program("zlib_dlopen"), {Library("zuser")}, &dump));
  SiteFinder f(dump);
  EXPECT_EQ(Streams(f.StreamsOpenedIn("zuser_inflate_leak", StreamKind::kInflate)), "open 2 of 2")
      << f.DescribeSites();
  EXPECT_EQ(Streams(f.StreamsOpenedIn("zuser_deflate_leak", StreamKind::kDeflate)), "open 1 of 1");
  EXPECT_EQ(f.StreamsOpenedIn("zuser_roundtrip", StreamKind::kInflate).open_count, 0u);
  EXPECT_EQ(f.StreamsOpenedIn("zuser_roundtrip", StreamKind::kDeflate).open_count, 0u);
  EXPECT_GT(dump.counters.zlib_calls, 0u);
  EXPECT_EQ(dump.counters.zlib_missing_real, 0u);
}

}  // namespace
}  // namespace leakscope::testing
// SPDX-License-Identifier: Apache-2.0
