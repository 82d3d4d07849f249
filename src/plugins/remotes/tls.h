// TLS client configuration over OpenSSL: one SSL_CTX per (CA file, verify) setting, shared by connections.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace berth::remotes {

struct TlsConfig {
  std::string ca_file;       // extra trusted CAs (PEM), on top of the system store
  bool skip_verify = false;  // no certificate or host name checks

  std::string Key() const { return (skip_verify ? "noverify:" : "verify:") + ca_file; }
};

// Thread-safe: SSL_CTX may be shared by many connections once configured.
class TlsContext {
 public:
  // Loads the system store and `config.ca_file`; InvalidArgument naming the file if it cannot be read.
  static absl::StatusOr<std::shared_ptr<TlsContext>> Create(const TlsConfig& config);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // A new session for a connection to `host` (SNI and certificate name/IP check), not yet bound to a socket.
  absl::StatusOr<SSL*> NewSession(const std::string& host) const;
  bool verifies() const { return !config_.skip_verify; }

 private:
  TlsContext(SSL_CTX* ctx, TlsConfig config) : ctx_(ctx), config_(std::move(config)) {}
  SSL_CTX* ctx_;
  TlsConfig config_;
};

// The OpenSSL error queue as text (and cleared), for messages.
std::string DrainTlsErrors();

}  // namespace berth::remotes
