#include "tests/util/image.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/util/subprocess.h"

#ifndef BERTH_PYTHON3
#error "BERTH_PYTHON3 must be defined by the build"
#endif
#ifndef BERTH_TEST_UTIL_DIR
#error "BERTH_TEST_UTIL_DIR must be defined by the build"
#endif

namespace berth::testing {

std::vector<std::string> GeneratedImage::BlobDigests() const {
  std::vector<std::string> out;
  for (const auto& b : blobs) out.push_back(b.digest);
  return out;
}

::testing::AssertionResult GenerateImage(const ImageSpec& spec, const std::string& out_dir,
                                         GeneratedImage* image) {
  std::filesystem::create_directories(out_dir);
  std::vector<std::string> argv = {BERTH_PYTHON3,
                                   std::string(BERTH_TEST_UTIL_DIR) + "/make_oci_image.py",
                                   "--out", out_dir + "/layout",
                                   "--name", spec.name,
                                   "--seed", std::to_string(spec.seed),
                                   "--layers", std::to_string(spec.layers),
                                   "--files", std::to_string(spec.files),
                                   "--layer-size", std::to_string(spec.layer_size)};
  if (spec.archive) {
    argv.push_back("--archive");
    argv.push_back(out_dir + "/image.tar");
  }
  RunOptions options;
  options.timeout = std::chrono::minutes(2);
  auto r = RunCommand(argv, options);
  if (!r.ok()) return ::testing::AssertionFailure() << "image generator failed\n" << r.Describe();
  try {
    auto j = nlohmann::json::parse(r.out);
    image->name = j.at("name");
    image->tag = j.at("tag");
    image->layout_dir = out_dir + "/layout";
    image->archive = j.value("archive", "");
    image->index = j.at("index");
    image->manifest = j.at("manifest");
    image->manifest_size = j.at("manifest_size");
    image->config = j.at("config");
    image->layers = j.at("layers").get<std::vector<std::string>>();
    image->blobs.clear();
    for (const auto& b : j.at("blobs")) image->blobs.push_back({b.at("digest"), b.at("size")});
  } catch (const nlohmann::json::exception& e) {
    return ::testing::AssertionFailure() << "cannot parse generator output: " << e.what() << "\n"
                                         << r.Describe();
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult PushImage(const GeneratedImage& image, const Registry& registry,
                                     const std::string& repository, std::string* ref) {
  *ref = registry.host() + "/" + repository + ":" + image.tag;
  RunOptions options;
  options.timeout = std::chrono::minutes(3);
  auto r = RunCommand({"skopeo", "--insecure-policy", "copy", "--quiet", "--preserve-digests",
                "--dest-tls-verify=false", "oci:" + image.layout_dir + ":" + image.tag, "docker://" + *ref},
               options);
  if (!r.ok()) return ::testing::AssertionFailure() << "skopeo push failed\n" << r.Describe();
  return ::testing::AssertionSuccess();
}

}  // namespace berth::testing
