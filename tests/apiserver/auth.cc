#include "tests/apiserver/auth.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace hallmark::tests::apiserver {
namespace {

UserInfo Admin() {
  return UserInfo{"kubernetes-admin", "", {"system:masters", "system:authenticated"}};
}

}  // namespace

Authenticator::Authenticator(std::vector<SecretData> tokens, bool client_ca)
    : tokens_(std::move(tokens)), client_ca_(client_ca) {
  tokens_enabled_ = !tokens_.empty();
}

void Authenticator::SetTokens(std::vector<SecretData> tokens) {
  absl::MutexLock lock(&mu_);
  tokens_ = std::move(tokens);
  tokens_enabled_ = true;
}

size_t Authenticator::TokenCount() const {
  absl::MutexLock lock(&mu_);
  return tokens_.size();
}

bool Authenticator::Required() const {
  absl::MutexLock lock(&mu_);
  return tokens_enabled_ || client_ca_;
}

absl::StatusOr<UserInfo> Authenticator::Authenticate(absl::string_view authorization,
                                                     const ClientCertificate& cert) const {
  absl::string_view header = absl::StripAsciiWhitespace(authorization);
  if (header.size() > 7 && absl::EqualsIgnoreCase(header.substr(0, 7), "bearer ")) {
    SecretData presented(absl::StripAsciiWhitespace(header.substr(7)));
    absl::MutexLock lock(&mu_);
    for (const auto& t : tokens_) {
      // SecretData compares in constant time.
      if (t == presented) return Admin();
    }
    // A wrong token is rejected even when a certificate is also present, like kube-apiserver's
    // union authenticator reports the token failure.
    if (tokens_enabled_) return absl::UnauthenticatedError("invalid bearer token");
  }
  if (cert.present) {
    std::vector<std::string> groups = cert.organizations;
    groups.push_back("system:authenticated");
    return UserInfo{cert.common_name, "", groups};
  }
  if (!Required()) return Admin();
  return absl::UnauthenticatedError("no credentials");
}

}  // namespace hallmark::tests::apiserver
