// The registry client against a real docker-registry on 127.0.0.1 (label integration): resolve, manifests,
// indexes, blob streams from offsets, 404s, mirrors, redirects, injected faults, basic/bearer auth and TLS.
#include "plugins/remotes/registry.h"

#include <gtest/gtest.h>

#include <thread>

#include "base/status.h"
#include "nlohmann/json.hpp"
#include "plugins/remotes/errors.h"
#include "plugins/remotes/http_client.h"
#include "plugins/remotes/retry.h"
#include "plugins/remotes/testing/test_servers.h"
#include "tests/util/image.h"

namespace berth::remotes {
namespace {

using berth::testing::GeneratedImage;
using berth::testing::RunCommand;
using berth::testing::TempDir;
using berth::testing::HelperServer;
using testing::RegistryServer;
using namespace std::chrono_literals;

constexpr char kRepo[] = "berth/remotes";

// One generated image (two 256 KiB layers), pushed once per test process.
struct Image {
  TempDir dir{"berth-remotes-image"};
  GeneratedImage image;
  std::string registry;  // the shared registry's host
};

const Image& TestImage() {
  static Image* image = [] {
    auto* out = new Image;
    std::string error;
    berth::testing::Registry* registry = berth::testing::SharedRegistry(&error);
    EXPECT_NE(registry, nullptr) << error;
    if (registry == nullptr) return out;
    EXPECT_TRUE(berth::testing::GenerateImage(
        {.name = "docker.io/library/remotes:v1", .seed = 77, .layer_size = 256 * 1024, .archive = false},
        out->dir.Join("img"), &out->image));
    std::string ref;
    EXPECT_TRUE(berth::testing::PushImage(out->image, *registry, kRepo, &ref));
    out->registry = registry->host();
    return out;
  }();
  return *image;
}

Digest D(const std::string& s) { return *Digest::Parse(s); }

Reference Ref(const std::string& host, const std::string& object = "v1") {
  std::string sep = object.starts_with("sha256:") ? "@" : ":";
  auto ref = Reference::Parse(host + "/" + kRepo + sep + object);
  EXPECT_TRUE(ref.ok()) << ref.status();
  return *ref;
}

std::unique_ptr<Registry> Plain(RegistryOptions options = {}) {
  options.default_host.plain_http = true;
  return Registry::Create(std::move(options));
}

oci::Descriptor LayerDesc(const GeneratedImage& image, size_t i = 0) {
  const std::string& digest = image.layers.at(i);
  for (const auto& blob : image.blobs) {
    if (blob.digest == digest) {
      return {.media_type = "application/vnd.oci.image.layer.v1.tar+gzip", .digest = D(digest),
              .size = static_cast<int64_t>(blob.size)};
    }
  }
  ADD_FAILURE() << "no blob " << digest;
  return {};
}

// Reads a blob stream to its end in odd-sized pieces.
absl::StatusOr<std::string> ReadAll(BlobReader& reader) {
  std::string out;
  char buf[7001];
  for (int i = 0; i < 100'000; ++i) {
    ASSIGN_OR_RETURN(size_t n, reader.Read(buf));
    if (n == 0) return out;
    out.append(buf, n);
  }
  return absl::InternalError("blob stream did not end");
}

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    image_ = &TestImage();
    ASSERT_FALSE(image_->registry.empty()) << "test image not pushed";
  }
  const GeneratedImage& image() { return image_->image; }
  const std::string& host() { return image_->registry; }
  const Image* image_ = nullptr;
};

TEST_F(RegistryTest, ResolvesTagAndDigest) {
  auto registry = Plain();
  auto desc = registry->Resolve(Context{}, Ref(host()));
  ASSERT_TRUE(desc.ok()) << desc.status();
  EXPECT_EQ(desc->digest.str(), image().manifest);
  EXPECT_EQ(desc->media_type, kMediaTypeOciManifest);
  EXPECT_EQ(desc->size, static_cast<int64_t>(image().manifest_size));

  auto by_digest = registry->Resolve(Context{}, Ref(host(), image().manifest));
  ASSERT_TRUE(by_digest.ok()) << by_digest.status();
  EXPECT_EQ(*by_digest, *desc);
}

TEST_F(RegistryTest, FetchesVerifiedManifestAndConfig) {
  auto registry = Plain();
  Reference ref = Ref(host());
  auto desc = registry->Resolve(Context{}, ref);
  ASSERT_TRUE(desc.ok()) << desc.status();
  auto manifest = registry->FetchManifest(Context{}, ref, *desc);
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  EXPECT_EQ(Digest::Of(*manifest).str(), image().manifest);
  auto json = nlohmann::json::parse(*manifest);
  oci::Descriptor config{.media_type = json["config"]["mediaType"], .digest = D(json["config"]["digest"]),
                         .size = json["config"]["size"]};
  EXPECT_EQ(config.digest.str(), image().config);
  auto config_bytes = registry->FetchBlob(Context{}, ref, config);
  ASSERT_TRUE(config_bytes.ok()) << config_bytes.status();
  EXPECT_EQ(Digest::Of(*config_bytes), config.digest);

  // A descriptor that disagrees with the bytes is data loss, and a blob over the cap is refused before reading.
  oci::Descriptor wrong_size = config;
  wrong_size.size += 1;
  auto lost = registry->FetchBlob(Context{}, ref, wrong_size);
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kDataLoss) << lost.status();
  EXPECT_NE(std::string(lost.status().message()).find(config.digest.str()), std::string::npos);
  auto capped = registry->FetchBlob(Context{}, ref, config, {}, /*cap=*/10);
  EXPECT_EQ(capped.status().code(), absl::StatusCode::kInvalidArgument) << capped.status();
}

TEST_F(RegistryTest, ResolvesAnIndexAndFollowsItToTheManifest) {
  nlohmann::json index = {
      {"schemaVersion", 2},
      {"mediaType", kMediaTypeOciIndex},
      {"manifests",
       {{{"mediaType", kMediaTypeOciManifest},
         {"digest", image().manifest},
         {"size", image().manifest_size},
         {"platform", {{"architecture", "amd64"}, {"os", "linux"}}}}}}};
  std::string body = index.dump();
  HttpClient http({});
  HttpRequest put{.method = "PUT", .url = *Url::Parse("http://" + host() + "/v2/" + kRepo + "/manifests/multi"),
                  .body = body};
  put.headers.Add("Content-Type", kMediaTypeOciIndex);
  auto pushed = http.Send(Context{}, put, {});
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  ASSERT_EQ((*pushed)->status(), 201);

  auto registry = Plain();
  Reference ref = Ref(host(), "multi");
  auto top = registry->Resolve(Context{}, ref);
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_EQ(top->media_type, kMediaTypeOciIndex);
  EXPECT_EQ(top->digest, Digest::Of(body));
  auto index_bytes = registry->FetchManifest(Context{}, ref, *top);
  ASSERT_TRUE(index_bytes.ok()) << index_bytes.status();
  auto child = nlohmann::json::parse(*index_bytes)["manifests"][0];
  oci::Descriptor manifest{.media_type = child["mediaType"], .digest = D(child["digest"]), .size = child["size"]};
  auto manifest_bytes = registry->FetchManifest(Context{}, ref, manifest);
  ASSERT_TRUE(manifest_bytes.ok()) << manifest_bytes.status();
  EXPECT_EQ(Digest::Of(*manifest_bytes).str(), image().manifest);
}

TEST_F(RegistryTest, StreamsBlobsWholeAndFromAnOffset) {
  auto registry = Plain();
  Reference ref = Ref(host());
  oci::Descriptor layer = LayerDesc(image());
  auto reader = registry->OpenBlob(Context{}, ref, layer);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->source(), host());
  auto whole = ReadAll(**reader);
  ASSERT_TRUE(whole.ok()) << whole.status();
  ASSERT_EQ(static_cast<int64_t>(whole->size()), layer.size);
  EXPECT_EQ(Digest::Of(*whole), layer.digest);

  for (int64_t offset : {int64_t{1}, layer.size / 3, layer.size - 1, layer.size}) {
    auto tail_reader = registry->OpenBlob(Context{}, ref, layer, offset);
    ASSERT_TRUE(tail_reader.ok()) << "offset " << offset << ": " << tail_reader.status();
    EXPECT_EQ((*tail_reader)->start_offset(), offset);
    EXPECT_FALSE((*tail_reader)->restarted_from_zero());
    auto tail = ReadAll(**tail_reader);
    ASSERT_TRUE(tail.ok()) << tail.status();
    EXPECT_TRUE(*tail == whole->substr(static_cast<size_t>(offset))) << "offset " << offset;
  }
  auto past_end = registry->OpenBlob(Context{}, ref, layer, layer.size + 1);
  EXPECT_EQ(past_end.status().code(), absl::StatusCode::kOutOfRange);
}

TEST_F(RegistryTest, ManyThreadsStreamBlobsAtOnce) {
  auto registry = Plain();
  Reference ref = Ref(host());
  std::vector<std::thread> threads;
  std::atomic<int> verified{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      oci::Descriptor layer = LayerDesc(image(), static_cast<size_t>(t) % image().layers.size());
      auto reader = registry->OpenBlob(Context{}, ref, layer);
      if (!reader.ok()) return;
      auto bytes = ReadAll(**reader);
      auto manifest = registry->Resolve(Context{}, ref);  // pooled requests interleaved with streams
      if (bytes.ok() && Digest::Of(*bytes) == layer.digest && manifest.ok()) ++verified;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(verified.load(), 6);
}

TEST_F(RegistryTest, MissingThingsAreNotFoundNamingThem) {
  auto registry = Plain();
  auto missing = registry->Resolve(Context{}, Ref(host(), "no-such-tag"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
  EXPECT_NE(std::string(missing.status().message()).find(host() + "/berth/remotes:no-such-tag"), std::string::npos)
      << missing.status();

  oci::Descriptor absent{.digest = Digest::Of("absent"), .size = 6};
  auto blob = registry->OpenBlob(Context{}, Ref(host()), absent);
  EXPECT_EQ(blob.status().code(), absl::StatusCode::kNotFound) << blob.status();
  EXPECT_NE(std::string(blob.status().message()).find(absent.digest.str()), std::string::npos) << blob.status();
  EXPECT_NE(std::string(blob.status().message()).find("BLOB_UNKNOWN"), std::string::npos) << blob.status();

  auto manifest = registry->FetchManifest(Context{}, Ref(host()), absent);
  EXPECT_EQ(manifest.status().code(), absl::StatusCode::kNotFound) << manifest.status();
}

TEST_F(RegistryTest, MirrorsAreTriedInOrderBeforeTheRegistry) {
  int dead = berth::testing::FreeLoopbackPort();  // nothing listens there
  RegistryOptions options;
  std::string unreachable = "127.0.0.1:" + std::to_string(berth::testing::FreeLoopbackPort());
  options.hosts[unreachable] = {.mirrors = {"http://127.0.0.1:" + std::to_string(dead), "http://" + host()},
                                .plain_http = true};
  auto registry = Registry::Create(options);
  Reference ref = Ref(unreachable);
  auto desc = registry->Resolve(Context{}, ref);
  ASSERT_TRUE(desc.ok()) << desc.status();
  EXPECT_EQ(desc->digest.str(), image().manifest);
  auto reader = registry->OpenBlob(Context{}, ref, LayerDesc(image()));
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->source(), host());

  // Without a working source the registry's own error comes back, and it is transient.
  options.hosts[unreachable].mirrors = {"http://127.0.0.1:" + std::to_string(dead)};
  auto failed = Registry::Create(options)->Resolve(Context{}, ref);
  EXPECT_TRUE(IsTransient(failed.status())) << failed.status();
  EXPECT_NE(std::string(failed.status().message()).find(unreachable), std::string::npos) << failed.status();
}

// ---- through tests/util/fault_proxy.py ----

class FaultTest : public RegistryTest {
 protected:
  // Starts the proxy in front of the shared registry; returns its host.
  std::string Proxy(std::vector<std::string> args) {
    args.insert(args.begin(), {"--upstream", host()});
    EXPECT_TRUE(proxy_.Start("fault_proxy.py", args));
    return proxy_.host();
  }
  HelperServer proxy_;
};

TEST_F(FaultTest, FollowsBlobRedirectsToAnotherHost) {
  std::string via = Proxy({"--fault", "redirect", "--match", "/blobs/", "--times", "100"});
  auto registry = Plain();
  oci::Descriptor layer = LayerDesc(image());
  auto reader = registry->OpenBlob(Context{}, Ref(via), layer, 100);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->source(), host());  // the bytes came from where the redirect pointed
  EXPECT_EQ((*reader)->start_offset(), 100);
  auto tail = ReadAll(**reader);
  ASSERT_TRUE(tail.ok()) << tail.status();
  EXPECT_EQ(static_cast<int64_t>(tail->size()), layer.size - 100);
}

TEST_F(FaultTest, ServerIgnoringRangeRestartsFromZero) {
  std::string via = Proxy({"--fault", "ignore-range", "--match", "/blobs/"});
  auto registry = Plain();
  oci::Descriptor layer = LayerDesc(image());
  auto reader = registry->OpenBlob(Context{}, Ref(via), layer, 4096);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_TRUE((*reader)->restarted_from_zero());
  EXPECT_EQ((*reader)->start_offset(), 0);
  auto whole = ReadAll(**reader);
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(Digest::Of(*whole), layer.digest);
}

TEST_F(FaultTest, Http503And429AreTransientOnce) {
  for (const char* code : {"503", "429"}) {
    HelperServer proxy;
    ASSERT_TRUE(proxy.Start("fault_proxy.py", {"--upstream", host(), "--fault", "status", "--status", code,
                                               "--match", "/manifests/"}));
    auto registry = Plain();
    auto first = registry->Resolve(Context{}, Ref(proxy.host()));
    ASSERT_FALSE(first.ok());
    EXPECT_TRUE(IsTransient(first.status())) << first.status();
    EXPECT_EQ(ErrorReason(first.status()), std::string(code) == "503" ? "http_5xx" : "http_429");
    EXPECT_NE(std::string(first.status().message()).find(proxy.host()), std::string::npos) << first.status();
    // The transfer layer's loop: one retry cures it.
    int attempts = 0;
    auto retried = Retry(RetryPolicy{.base = 1ms, .cap = 5ms}, Context{}, [&](int) {
      ++attempts;
      return registry->Resolve(Context{}, Ref(proxy.host()));
    });
    ASSERT_TRUE(retried.ok()) << retried.status();
    EXPECT_EQ(attempts, 1);  // the fault fired once, on the first call above
    EXPECT_EQ(retried->digest.str(), image().manifest);
  }
}

// Reads until the stream fails; returns the bytes got and the error.
std::pair<std::string, absl::Status> ReadUntilError(BlobReader& reader) {
  std::string got;
  char buf[4096];
  for (int i = 0; i < 100'000; ++i) {
    auto n = reader.Read(buf);
    if (!n.ok()) return {got, n.status()};
    if (*n == 0) return {got, absl::OkStatus()};
    got.append(buf, *n);
  }
  return {got, absl::InternalError("no end")};
}

TEST_F(FaultTest, CutStreamIsTransientAndResumesAtTheOffset) {
  for (const char* fault : {"cut", "reset"}) {
    HelperServer proxy;
    ASSERT_TRUE(proxy.Start("fault_proxy.py", {"--upstream", host(), "--fault", fault, "--after", "70000",
                                               "--match", "/blobs/"}));
    auto registry = Plain();
    Reference ref = Ref(proxy.host());
    oci::Descriptor layer = LayerDesc(image());
    auto reader = registry->OpenBlob(Context{}, ref, layer);
    ASSERT_TRUE(reader.ok()) << reader.status();
    auto [got, error] = ReadUntilError(**reader);
    ASSERT_FALSE(error.ok()) << fault << ": stream was not cut";
    EXPECT_TRUE(IsTransient(error)) << error;
    std::string reason = ErrorReason(error);
    EXPECT_TRUE(reason == "eof" || reason == "reset") << fault << ": " << error;
    EXPECT_NE(std::string(error.message()).find(layer.digest.str()), std::string::npos) << error;
    ASSERT_GT(got.size(), 0u);
    ASSERT_LT(static_cast<int64_t>(got.size()), layer.size);

    Sha256 hash;
    hash.Update(got);
    auto rest = registry->OpenBlob(Context{}, ref, layer, static_cast<int64_t>(got.size()));
    ASSERT_TRUE(rest.ok()) << rest.status();
    EXPECT_EQ((*rest)->start_offset(), static_cast<int64_t>(got.size()));
    auto tail = ReadAll(**rest);
    ASSERT_TRUE(tail.ok()) << tail.status();
    hash.Update(*tail);
    EXPECT_EQ(hash.Finish(), layer.digest) << fault;
  }
}

TEST_F(FaultTest, StalledStreamTimesOut) {
  std::string via = Proxy({"--fault", "stall", "--after", "20000", "--match", "/blobs/"});
  RegistryOptions options;
  options.idle_timeout = 500ms;
  auto registry = Plain(options);
  auto reader = registry->OpenBlob(Context{}, Ref(via), LayerDesc(image()));
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto start = std::chrono::steady_clock::now();
  auto [got, error] = ReadUntilError(**reader);
  EXPECT_TRUE(IsTransient(error)) << error;
  EXPECT_EQ(ErrorReason(error), "timeout") << error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

// ---- authentication ----

// skopeo push of the test image to a registry that needs credentials and/or TLS.
::testing::AssertionResult PushTo(const GeneratedImage& image, const std::string& host, const std::string& creds) {
  std::vector<std::string> argv = {"skopeo", "--insecure-policy", "copy", "--quiet", "--preserve-digests",
                                   "--dest-tls-verify=false"};
  if (!creds.empty()) argv.insert(argv.end(), {"--dest-creds", creds});
  argv.insert(argv.end(), {"oci:" + image.layout_dir + ":" + image.tag,
                           "docker://" + host + "/" + kRepo + ":v1"});
  auto r = RunCommand(argv);
  if (!r.ok()) return ::testing::AssertionFailure() << r.Describe();
  return ::testing::AssertionSuccess();
}

TEST_F(RegistryTest, BasicAuthWithHtpasswd) {
  RegistryServer server;
  ASSERT_TRUE(server.Start({.username = "alice", .password = "s3cret"})) << server.log();
  ASSERT_TRUE(PushTo(image(), server.host(), "alice:s3cret"));
  Reference ref = Ref(server.host());

  auto anonymous = Plain()->Resolve(Context{}, ref);
  EXPECT_EQ(anonymous.status().code(), absl::StatusCode::kUnauthenticated) << anonymous.status();

  RegistryOptions wrong;
  wrong.hosts[server.host()] = {.plain_http = true, .username = "alice", .password = "nope"};
  auto rejected = Registry::Create(wrong)->Resolve(Context{}, ref);
  EXPECT_EQ(rejected.status().code(), absl::StatusCode::kUnauthenticated) << rejected.status();
  EXPECT_FALSE(IsTransient(rejected.status()));

  RegistryOptions right;
  right.hosts[server.host()] = {.plain_http = true, .username = "alice", .password = "s3cret"};
  auto registry = Registry::Create(right);
  auto desc = registry->Resolve(Context{}, ref);
  ASSERT_TRUE(desc.ok()) << desc.status();
  EXPECT_EQ(desc->digest.str(), image().manifest);
  auto reader = registry->OpenBlob(Context{}, ref, LayerDesc(image()), 10);
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto tail = ReadAll(**reader);
  ASSERT_TRUE(tail.ok()) << tail.status();
  EXPECT_EQ(static_cast<int64_t>(tail->size()), LayerDesc(image()).size - 10);
}

int CountLines(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

TEST_F(RegistryTest, BearerTokenFlowWithCredentialsAndCache) {
  HelperServer auth;
  ASSERT_TRUE(auth.Start("token_auth_proxy.py", {"--upstream", host(), "--user", "bob", "--password", "pw"}));
  Reference ref = Ref(auth.host());

  auto anonymous = Plain()->Resolve(Context{}, ref);
  EXPECT_EQ(anonymous.status().code(), absl::StatusCode::kUnauthenticated) << anonymous.status();

  RegistryOptions options;
  options.hosts[auth.host()] = {.plain_http = true, .username = "bob", .password = "pw"};
  auto registry = Registry::Create(options);
  auto desc = registry->Resolve(Context{}, ref);
  ASSERT_TRUE(desc.ok()) << desc.status() << auth.log();
  auto manifest = registry->FetchManifest(Context{}, ref, *desc);
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  auto reader = registry->OpenBlob(Context{}, ref, LayerDesc(image()));
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto blob = ReadAll(**reader);
  ASSERT_TRUE(blob.ok()) << blob.status();
  EXPECT_EQ(Digest::Of(*blob), LayerDesc(image()).digest);

  std::string log = auth.log();
  EXPECT_EQ(CountLines(log, "token scope=repository:berth/remotes:pull auth=yes"), 1) << log;  // cached after one
}

TEST_F(RegistryTest, AnonymousBearerTokenFromAccessTokenField) {
  HelperServer auth;
  ASSERT_TRUE(auth.Start("token_auth_proxy.py", {"--upstream", host(), "--access-token"}));
  auto registry = Plain();
  auto desc = registry->Resolve(Context{}, Ref(auth.host()));
  ASSERT_TRUE(desc.ok()) << desc.status() << auth.log();
  EXPECT_EQ(desc->digest.str(), image().manifest);
  EXPECT_EQ(CountLines(auth.log(), "auth=no"), 1) << auth.log();
}

// ---- TLS ----

TEST_F(RegistryTest, TlsVerifiesWithTheConfiguredCa) {
  RegistryServer server;
  ASSERT_TRUE(server.Start({.tls = true})) << server.log();
  ASSERT_TRUE(PushTo(image(), server.host(), ""));
  Reference ref = Ref(server.host());

  auto untrusted = Registry::Create({})->Resolve(Context{}, ref);
  EXPECT_EQ(untrusted.status().code(), absl::StatusCode::kFailedPrecondition) << untrusted.status();
  EXPECT_NE(std::string(untrusted.status().message()).find("ca_file"), std::string::npos) << untrusted.status();

  RegistryOptions with_ca;
  with_ca.hosts[server.host()] = {.ca_file = server.ca_file()};
  auto registry = Registry::Create(with_ca);
  auto desc = registry->Resolve(Context{}, ref);
  ASSERT_TRUE(desc.ok()) << desc.status();
  EXPECT_EQ(desc->digest.str(), image().manifest);
  auto reader = registry->OpenBlob(Context{}, ref, LayerDesc(image()), 1000);
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto tail = ReadAll(**reader);
  ASSERT_TRUE(tail.ok()) << tail.status();
  EXPECT_EQ(static_cast<int64_t>(tail->size()), LayerDesc(image()).size - 1000);

  RegistryOptions skip;
  skip.hosts[server.host()] = {.skip_verify = true};
  auto skipped = Registry::Create(skip)->Resolve(Context{}, ref);
  EXPECT_TRUE(skipped.ok()) << skipped.status();
}

}  // namespace
}  // namespace berth::remotes
