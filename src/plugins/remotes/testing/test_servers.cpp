#include "plugins/remotes/testing/test_servers.h"

#include <arpa/inet.h>
#include <crypt.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace berth::remotes::testing {

using berth::testing::Child;
using berth::testing::RunCommand;
using berth::testing::WaitForPort;
using berth::testing::WriteFileOrDie;

RegistryServer::RegistryServer() : dir_("berth-remotes-registry"), log_path_(dir_.Join("registry.log")) {}

RegistryServer::~RegistryServer() {
  if (child_ && child_->Running()) {
    child_->Signal(SIGTERM);
    child_->Wait(std::chrono::seconds(5));
  }
}

::testing::AssertionResult RegistryServer::MakeCertificates() {
  ca_file_ = dir_.Join("ca.pem");
  WriteFileOrDie(dir_.Join("san.cnf"), "subjectAltName=IP:127.0.0.1\n");
  const std::vector<std::vector<std::string>> steps = {
      {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-keyout", dir_.Join("ca.key"), "-out", ca_file_, "-days", "2", "-subj", "/CN=berth test CA"},
      {"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
       dir_.Join("server.key"), "-out", dir_.Join("server.csr"), "-subj", "/CN=127.0.0.1"},
      {"openssl", "x509", "-req", "-in", dir_.Join("server.csr"), "-CA", ca_file_, "-CAkey", dir_.Join("ca.key"),
       "-CAcreateserial", "-out", dir_.Join("server.pem"), "-days", "2", "-extfile", dir_.Join("san.cnf")}};
  for (const auto& argv : steps) {
    auto r = RunCommand(argv);
    if (!r.ok()) return ::testing::AssertionFailure() << r.Describe();
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult RegistryServer::Start(const RegistryServerOptions& options) {
  std::string extra;
  if (!options.username.empty()) {
    // docker-registry reads bcrypt htpasswd lines; libcrypt makes them without apache2-utils.
    char salt[64];
    if (crypt_gensalt_rn("$2b$", 10, nullptr, 0, salt, sizeof(salt)) == nullptr) {
      return ::testing::AssertionFailure() << "crypt_gensalt: no bcrypt in libcrypt";
    }
    crypt_data data{};
    const char* hash = crypt_r(options.password.c_str(), salt, &data);
    if (hash == nullptr || hash[0] != '$') return ::testing::AssertionFailure() << "crypt_r failed";
    WriteFileOrDie(dir_.Join("htpasswd"), options.username + ":" + hash + "\n");
    extra += "auth:\n  htpasswd:\n    realm: berth-test\n    path: " + dir_.Join("htpasswd") + "\n";
  }
  std::string tls;
  if (options.tls) {
    if (auto made = MakeCertificates(); !made) return made;
    tls = "  tls:\n    certificate: " + dir_.Join("server.pem") + "\n    key: " + dir_.Join("server.key") + "\n";
  }
  port_ = berth::testing::FreeLoopbackPort();
  std::string config = dir_.Join("config.yml");
  WriteFileOrDie(config, "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n"
                         "  filesystem:\n    rootdirectory: " + dir_.Join("storage") + "\n" + extra +
                         "http:\n  addr: 127.0.0.1:" + std::to_string(port_) + "\n" + tls);
  std::string error;
  child_ = Child::Start({"/usr/bin/docker-registry", "serve", config}, {.log_path = log_path_}, &error);
  if (!child_) return ::testing::AssertionFailure() << "cannot start docker-registry: " << error;
  if (!WaitForPort(port_, std::chrono::seconds(15))) {
    return ::testing::AssertionFailure() << "docker-registry did not listen on " << host() << "\n" << log();
  }
  return ::testing::AssertionSuccess();
}

}  // namespace berth::remotes::testing
