#include "tests/util/image.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/util/files.h"
#include "tests/util/subprocess.h"

#ifndef BERTH_PYTHON3
#error "BERTH_PYTHON3 must be defined by the build"
#endif
#ifndef BERTH_TEST_UTIL_DIR
#error "BERTH_TEST_UTIL_DIR must be defined by the build"
#endif

namespace berth::testing {

namespace {

LayerEntry Entry(const std::string& type, const std::string& path) {
  LayerEntry e;
  e.type = type;
  e.path = path;
  return e;
}

std::string Hex(const std::string& bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

nlohmann::json LayersJson(const std::vector<LayerSpec>& layers) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& layer : layers) {
    nlohmann::json entries = nlohmann::json::array();
    for (const auto& e : layer.entries) {
      nlohmann::json j = {{"type", e.type}, {"path", e.path}, {"uid", e.uid}, {"gid", e.gid}};
      if (!e.target.empty()) j["target"] = e.target;
      if (e.random_size > 0) {
        j["random_size"] = e.random_size;
      } else if (!e.content.empty()) {
        j["content_hex"] = Hex(e.content);
      }
      if (e.mode >= 0) j["mode"] = e.mode;
      if (e.mtime >= 0) j["mtime"] = e.mtime;
      if (e.type == "char" || e.type == "block") {
        j["major"] = e.major;
        j["minor"] = e.minor;
      }
      if (!e.xattrs.empty()) {
        nlohmann::json x = nlohmann::json::object();
        for (const auto& [name, value] : e.xattrs) x[name] = Hex(value);
        j["xattrs_hex"] = x;
      }
      entries.push_back(j);
    }
    out.push_back({{"compression", layer.compression}, {"entries", entries}});
  }
  return out;
}

}  // namespace

LayerEntry File(const std::string& path, const std::string& content, int64_t mode) {
  LayerEntry e = Entry("file", path);
  e.content = content;
  e.mode = mode;
  return e;
}
LayerEntry RandomFile(const std::string& path, uint64_t size) {
  LayerEntry e = Entry("file", path);
  e.random_size = size;
  return e;
}
LayerEntry Dir(const std::string& path, int64_t mode) {
  LayerEntry e = Entry("dir", path);
  e.mode = mode;
  return e;
}
LayerEntry Symlink(const std::string& target, const std::string& path) {
  LayerEntry e = Entry("symlink", path);
  e.target = target;
  return e;
}
LayerEntry Hardlink(const std::string& target, const std::string& path) {
  LayerEntry e = Entry("hardlink", path);
  e.target = target;
  return e;
}
LayerEntry Fifo(const std::string& path) { return Entry("fifo", path); }
LayerEntry CharDevice(const std::string& path, uint32_t major, uint32_t minor) {
  LayerEntry e = Entry("char", path);
  e.major = major;
  e.minor = minor;
  return e;
}
LayerEntry BlockDevice(const std::string& path, uint32_t major, uint32_t minor) {
  LayerEntry e = CharDevice(path, major, minor);
  e.type = "block";
  return e;
}
LayerEntry Whiteout(const std::string& path) { return Entry("whiteout", path); }
LayerEntry Opaque(const std::string& dir) { return Entry("opaque", dir); }
LayerEntry RawFile(const std::string& name, const std::string& content) { return File(name, content); }

std::string TopChainId(const GeneratedImage& image) {
  std::string chain;
  for (const auto& diff_id : image.diff_ids) chain = chain.empty() ? diff_id : Sha256Digest(chain + " " + diff_id);
  return chain;
}

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
  if (!spec.custom_layers.empty()) {
    std::string layers_path = out_dir + "/layers.json";
    WriteFileOrDie(layers_path, LayersJson(spec.custom_layers).dump(1));
    argv.push_back("--layers-json");
    argv.push_back(layers_path);
  }
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
    image->diff_ids = j.at("diff_ids").get<std::vector<std::string>>();
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
