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
