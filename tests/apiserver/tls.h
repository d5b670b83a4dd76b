// File: tests/apiserver/tls.h
//
// TLS material for the HTTPS listener: a throw-away test CA and a server certificate for
// 127.0.0.1, ::1 and localhost (--tls-self-signed DIR), and the server-side SSL_CTX set-up
// (certificate chain, key, and optional client-certificate verification against --client-ca:
// a client certificate is requested but not required, so token clients still connect, and an
// invalid one fails the handshake, as kube-apiserver's VerifyClientCertIfGiven).
#ifndef HALLMARK_TESTS_APISERVER_TLS_H_
#define HALLMARK_TESTS_APISERVER_TLS_H_

#include <string>

#include "absl/status/statusor.h"
#include "openssl/ssl.h"
#include "tests/apiserver/auth.h"

namespace hallmark::tests::apiserver {

struct TlsFiles {
  std::string ca_cert;  // DIR/ca.crt (empty when the certificate was given)
  std::string cert;     // DIR/tls.crt
  std::string key;      // DIR/tls.key (mode 0600)
};

// EnsureSelfSignedTls: creates `dir` if needed and writes ca.crt, tls.crt and tls.key (EC P-256,
// valid 10 years), unless all three already exist there, in which case they are reused so
// clients holding ca.crt keep working across restarts.
absl::StatusOr<TlsFiles> EnsureSelfSignedTls(const std::string& dir);

// ConfigureServerContext: loads the certificate chain and key into `ctx` (TLS 1.2+, HTTP/1.1
// only) and, when `client_ca` is not empty, asks for client certificates issued by it.
// kInvalidArgument naming the file when something cannot be loaded.
absl::Status ConfigureServerContext(SSL_CTX* ctx, const std::string& cert, const std::string& key,
                                    const std::string& client_ca);

// PeerCertificate: the verified client certificate of a connection (present=false if none).
ClientCertificate PeerCertificate(const SSL* ssl);

}  // namespace hallmark::tests::apiserver

#endif  // HALLMARK_TESTS_APISERVER_TLS_H_
