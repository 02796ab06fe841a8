// Properties of the output formats on the golden dump that golden files do not state directly.
#include <gtest/gtest.h>
#include <zlib.h>

#include <sstream>

#include "output_format.h"
#include "report.h"

namespace leakscope {
namespace {

class FormatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(ReadDumpFile(std::string(GOLDEN_DIR) + "/leakscope.4242.5.dump", &dump_, &error))
        << error;
    SymbolizerOptions options;
    options.warnings = nullptr;
    symbolizer_ = std::make_unique<Symbolizer>(options);
    report_ = BuildReport(dump_, "golden", symbolizer_.get());
  }
  Dump dump_;
  std::unique_ptr<Symbolizer> symbolizer_;
  Report report_;
};

TEST_F(FormatsTest, CollapsedTotalEqualsReportTotal) {
  std::string out;
  FormatReportCollapsed(report_, *symbolizer_, 0, &out);
  std::istringstream lines(out);
  std::string line;
  uint64_t total = 0;
  size_t count = 0;
  while (std::getline(lines, line)) {
    size_t space = line.rfind(' ');
    ASSERT_NE(space, std::string::npos) << line;
    total += std::stoull(line.substr(space + 1));
    ++count;
  }
  EXPECT_EQ(total, report_.totals.live_bytes);
  EXPECT_EQ(count, 7u);  // sites with live bytes
  // Outermost first: every line starts at main's frame except the overflow site.
  EXPECT_TRUE(out.starts_with("app+0x3300;app+0x2200;app+0x1100;libleakscope.so+0x1234 6291456\n"))
      << out;
}

TEST_F(FormatsTest, SitesAreSortedByLiveBytesAndTotalsAddUp) {
  uint64_t live = 0;
  for (size_t i = 0; i < report_.sites.size(); ++i) {
    live += report_.sites[i].live_bytes;
    if (i > 0) {
      EXPECT_GE(report_.sites[i - 1].live_bytes, report_.sites[i].live_bytes);
    }
  }
  EXPECT_EQ(live, report_.totals.live_bytes);
  EXPECT_EQ(report_.sites[0].live_bytes, 6u << 20);
  EXPECT_EQ(report_.sites[0].live_count, 96u);
}

TEST_F(FormatsTest, PprofIsGzippedProtobuf) {
  std::string out;
  FormatReportPprof(report_, *symbolizer_, 0, &out);
  ASSERT_GT(out.size(), 20u);
  EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(out[1]), 0x8b);
  // Inflate and find the sample type names in the string table.
  z_stream zs{};
  ASSERT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string body(1 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(out.data());
  zs.avail_in = static_cast<uInt>(out.size());
  zs.next_out = reinterpret_cast<Bytef*>(body.data());
  zs.avail_out = static_cast<uInt>(body.size());
  ASSERT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  body.resize(zs.total_out);
  inflateEnd(&zs);
  for (const char* name :
       {"inuse_objects", "inuse_space", "alloc_objects", "alloc_space", "app+0x1100"}) {
    EXPECT_NE(body.find(name), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace leakscope
