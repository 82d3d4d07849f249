#include "progress_view.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

using std::chrono::milliseconds;

TEST(ProgressViewTest, HumanBytes) {
  EXPECT_EQ(HumanBytes(512), "512 B");
  EXPECT_EQ(HumanBytes(1536), "1.5 KiB");
  EXPECT_EQ(HumanBytes(3.0 * (1 << 30)), "3.0 GiB");
}

TEST(ProgressViewTest, BarShowsFractionSpeedAndEta) {
  BlobView b{.digest = "sha256:0123456789abcdef", .kind = "layer", .total = 100 << 20, .done = 50 << 20,
             .state = "downloading"};
  std::string line = ProgressView::BarLine(b, 10 << 20, 10);
  EXPECT_NE(line.find("0123456789ab"), std::string::npos) << line;
  EXPECT_NE(line.find("[=====>    ]"), std::string::npos) << line;
  EXPECT_NE(line.find("50.0 MiB / 100.0 MiB"), std::string::npos) << line;
  EXPECT_NE(line.find("10.0 MiB/s  ETA 5s"), std::string::npos) << line;
  b.state = "done";
  EXPECT_EQ(ProgressView::BarLine(b, 10 << 20, 10).find("ETA"), std::string::npos);
}

TEST(ProgressViewTest, PlainOutputPrintsOneLinePerStateChange) {
  ProgressView view(/*terminal=*/false);
  auto t0 = ProgressView::Clock::now();
  BlobView b{.digest = "sha256:aa", .kind = "layer", .total = 10, .done = 0, .state = "downloading"};
  EXPECT_EQ(view.Update({b}, t0), "layer sha256:aa downloading (10 B)\n");
  b.done = 5;
  EXPECT_EQ(view.Update({b}, t0 + milliseconds(100)), "");  // bytes alone are not news in a log
  b.state = "done";
  b.done = 10;
  EXPECT_EQ(view.Update({b}, t0 + milliseconds(1500)), "layer sha256:aa done (10 B) in 1.5s\n");
}

TEST(ProgressViewTest, TerminalRedrawsTheFrameInPlace) {
  ProgressView view(/*terminal=*/true);
  auto t0 = ProgressView::Clock::now();
  std::vector<BlobView> blobs = {{.digest = "sha256:aa", .kind = "config", .total = 1, .done = 1, .state = "done"},
                                 {.digest = "sha256:bb", .kind = "layer", .total = 9, .done = 0, .state = "waiting"}};
  std::string first = view.Update(blobs, t0);
  EXPECT_EQ(first.find("\x1b[2A"), std::string::npos);  // nothing to go back over yet
  std::string second = view.Update(blobs, t0 + milliseconds(100));
  EXPECT_EQ(second.rfind("\x1b[2A", 0), 0u);  // back up two lines, then redraw both
}

}  // namespace
}  // namespace berth::cli
