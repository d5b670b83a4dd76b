// File: tests/apiserver/auth.h
//
// Authenticator: who is calling. Bearer tokens (a set fixed at start and replaceable at run time
// for rotation tests) and TLS client certificates verified against --client-ca (CN = user name,
// O = groups, as kube-apiserver maps them). The scheme word "Bearer" is matched without regard
// to case and surrounding spaces are trimmed, as kube-apiserver does (python's in-cluster loader
// sends "bearer").
//
// When neither tokens nor a client CA were ever configured, every request is allowed as
// "kubernetes-admin" (plain local use). Tokens are SecretData and never logged.
#ifndef HALLMARK_TESTS_APISERVER_AUTH_H_
#define HALLMARK_TESTS_APISERVER_AUTH_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "base/secret_data.h"
#include "tests/apiserver/admission_hook.h"

namespace hallmark::tests::apiserver {

// ClientCertificate: the verified peer certificate of a TLS connection, if any.
struct ClientCertificate {
  bool present = false;  // sent and verified against the client CA
  std::string common_name;
  std::vector<std::string> organizations;
};

class Authenticator {
 public:
  Authenticator(std::vector<SecretData> tokens, bool client_ca);

  // SetTokens replaces the accepted tokens (and turns authentication on).
  void SetTokens(std::vector<SecretData> tokens);
  size_t TokenCount() const;
  bool Required() const;

  // Authenticate: the user for `authorization` (the Authorization header value, possibly empty)
  // or `cert`; kUnauthenticated when authentication is required and neither is valid.
  absl::StatusOr<UserInfo> Authenticate(absl::string_view authorization,
                                        const ClientCertificate& cert) const;

 private:
  mutable absl::Mutex mu_;
  std::vector<SecretData> tokens_ ABSL_GUARDED_BY(mu_);
  bool tokens_enabled_ ABSL_GUARDED_BY(mu_);
  const bool client_ca_;
};

}  // namespace hallmark::tests::apiserver

#endif  // HALLMARK_TESTS_APISERVER_AUTH_H_
