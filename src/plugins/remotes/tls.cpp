#include "plugins/remotes/tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "fmt/format.h"

namespace berth::remotes {
namespace {

bool IsIpAddress(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

std::string DrainTlsErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no OpenSSL error queued" : out;
}

absl::StatusOr<std::shared_ptr<TlsContext>> TlsContext::Create(const TlsConfig& config) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return absl::InternalError("SSL_CTX_new: " + DrainTlsErrors());
  std::shared_ptr<TlsContext> out(new TlsContext(ctx, config));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Our framing (Content-Length, chunked) detects truncation, so a peer closing without close_notify reads as EOF.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  if (config.skip_verify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    return out;
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    return absl::InternalError("cannot load the system CA store: " + DrainTlsErrors());
  }
  if (!config.ca_file.empty() && SSL_CTX_load_verify_locations(ctx, config.ca_file.c_str(), nullptr) != 1) {
    return absl::InvalidArgumentError(
        fmt::format("cannot load CA file {}: {} (want a PEM bundle)", config.ca_file, DrainTlsErrors()));
  }
  return out;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

absl::StatusOr<SSL*> TlsContext::NewSession(const std::string& host) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return absl::InternalError("SSL_new: " + DrainTlsErrors());
  bool ip = IsIpAddress(host);
  bool ok = true;
  if (!ip) ok = SSL_set_tlsext_host_name(ssl, host.c_str()) == 1;
  if (ok && !config_.skip_verify) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1 : SSL_set1_host(ssl, host.c_str()) == 1;
  }
  if (!ok) {
    SSL_free(ssl);
    return absl::InternalError(fmt::format("TLS setup for {}: {}", host, DrainTlsErrors()));
  }
  return ssl;
}

}  // namespace berth::remotes
