#include "server/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace berth::server {
namespace {

std::string WriteTemp(const std::string& text) {
  char path[] = "/tmp/berth-config-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

TEST(ConfigTest, FileOverridesDefaultsAndKeepsTheRest) {
  std::string path = WriteTemp("root = \"/srv/berth\"\n[grpc]\naddress = \"/tmp/b.sock\"\n");
  auto config = LoadConfigFile(path, Config{});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->root, "/srv/berth");
  EXPECT_EQ(config->address, "/tmp/b.sock");
  EXPECT_EQ(config->state, "/run/berth");
  EXPECT_EQ(config->log_level, "info");
  std::remove(path.c_str());
}

TEST(ConfigTest, UnknownKeysAndWrongTypesAreErrorsNamingTheKey) {
  std::string path = WriteTemp("[grpc]\nadress = \"/tmp/b.sock\"\n");
  auto config = LoadConfigFile(path, Config{});
  ASSERT_FALSE(config.ok());
  EXPECT_NE(std::string(config.status().message()).find("grpc.adress"), std::string::npos);
  std::remove(path.c_str());

  path = WriteTemp("root = 3\n");
  config = LoadConfigFile(path, Config{});
  ASSERT_FALSE(config.ok());
  EXPECT_NE(std::string(config.status().message()).find("root"), std::string::npos);
  std::remove(path.c_str());
}

TEST(ConfigTest, MetricsAddressIsOffByDefaultAndReadFromTheMetricsTable) {
  EXPECT_EQ(Config{}.metrics_address, "");
  std::string path = WriteTemp("[metrics]\naddress = \"127.0.0.1:1338\"\n");
  auto config = LoadConfigFile(path, Config{});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->metrics_address, "127.0.0.1:1338");
  std::remove(path.c_str());

  path = WriteTemp("[metrics]\ngrpc_histogram = true\n");  // containerd's other key is not ours (yet)
  config = LoadConfigFile(path, Config{});
  ASSERT_FALSE(config.ok());
  EXPECT_NE(std::string(config.status().message()).find("metrics.grpc_histogram"), std::string::npos);
  std::remove(path.c_str());
}

TEST(ConfigTest, RegistriesAndTransferSettings) {
  std::string path = WriteTemp(
      "[transfer]\nmax_concurrent_downloads = 6\n"
      "[registry.\"127.0.0.1:5000\"]\nplain_http = true\nmirrors = [\"http://127.0.0.1:5001\", \"m2:5000\"]\n"
      "[registry.\"docker.io\"]\nca_file = \"/etc/ca.pem\"\nusername = \"u\"\npassword = \"p\"\n");
  auto config = LoadConfigFile(path, Config{});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->max_concurrent_downloads, 6);
  EXPECT_EQ(config->max_attempts, 5);
  ASSERT_EQ(config->registries.size(), 2u);
  const remotes::HostConfig& local = config->registries.at("127.0.0.1:5000");
  EXPECT_TRUE(local.plain_http);
  EXPECT_EQ(local.mirrors, (std::vector<std::string>{"http://127.0.0.1:5001", "m2:5000"}));
  EXPECT_EQ(config->registries.at("docker.io").ca_file, "/etc/ca.pem");
  EXPECT_EQ(config->registries.at("docker.io").username, "u");
  std::remove(path.c_str());

  for (const char* bad : {"[transfer]\nmax_concurrent_downloads = 0\n", "[registry.\"x\"]\nplain_http = \"yes\"\n",
                          "[registry.\"x\"]\nmirror = [\"a\"]\n", "[registry.\"x\"]\nmirrors = \"a\"\n"}) {
    path = WriteTemp(bad);
    EXPECT_FALSE(LoadConfigFile(path, Config{}).ok()) << bad;
    std::remove(path.c_str());
  }
}

TEST(ConfigTest, SyntaxErrorsNameTheFileAndLine) {
  std::string path = WriteTemp("root = \"x\"\n[grpc\n");
  auto config = LoadConfigFile(path, Config{});
  ASSERT_FALSE(config.ok());
  EXPECT_NE(std::string(config.status().message()).find(path), std::string::npos);
  EXPECT_NE(std::string(config.status().message()).find("line 2"), std::string::npos);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace berth::server
