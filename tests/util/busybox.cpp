#include "tests/util/busybox.h"

#include "tests/util/files.h"
#include "tests/util/image.h"

namespace berth::testing {

::testing::AssertionResult ImportBusybox(const Ctr& ctr, const std::string& dir, const std::string& name) {
  ImageSpec spec{.name = name};
  LayerSpec layer{.compression = "gzip"};
  layer.entries = {Dir("bin"), File("bin/busybox", ReadFileOrDie("/bin/busybox"), 0755)};
  for (const char* applet : {"sh", "echo", "sleep", "cat", "true", "tty", "stty", "tail", "ls", "id", "kill"}) {
    layer.entries.push_back(Symlink("busybox", std::string("bin/") + applet));
  }
  for (const char* d : {"proc", "sys", "dev", "etc", "tmp"}) layer.entries.push_back(Dir(d));
  spec.custom_layers = {layer};
  GeneratedImage image;
  ::testing::AssertionResult generated = GenerateImage(spec, dir, &image);
  if (!generated) return generated;
  RunResult imported = ctr.Run({"images", "import", image.archive});
  if (!imported.ok()) return ::testing::AssertionFailure() << imported.Describe();
  return ::testing::AssertionSuccess();
}

}  // namespace berth::testing
