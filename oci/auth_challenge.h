// File: oci/auth_challenge.h
//
// `WWW-Authenticate` challenges (RFC 9110 §11.6.1) as registries send them with a 401:
//   Basic realm="Registry Realm"
//   Bearer
//   realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"
//
// Parsed strictly, because a hostile registry chooses these bytes and the realm decides where we
// send credentials: auth-params must be `token=token` or `token="quoted-string"`, names are
// case-insensitive and may not repeat within a challenge, control characters and unterminated
// quotes are errors, and sizes are bounded. token68 challenges (`Negotiate abc==`) are refused:
// no registry uses them.
#ifndef HALLMARK_OCI_AUTH_CHALLENGE_H_
#define HALLMARK_OCI_AUTH_CHALLENGE_H_

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hallmark::oci {

inline constexpr size_t kMaxChallengeHeaderBytes = 8 * 1024;
inline constexpr size_t kMaxChallenges = 16;
inline constexpr size_t kMaxChallengeParams = 32;

struct AuthChallenge {
  std::string scheme;                         // lower case: "basic", "bearer"
  std::map<std::string, std::string> params;  // names lower case, values unquoted

  // Param: the value of `name` (lower case), nullopt when absent.
  std::optional<std::string> Param(absl::string_view name) const;
};

// ParseAuthChallenges parses one WWW-Authenticate field value, which may hold several
// comma-separated challenges. kInvalidArgument (naming the problem, quoting at most 64 bytes of
// the input) for anything outside the grammar above, an empty value, or values over the limits.
absl::StatusOr<std::vector<AuthChallenge>> ParseAuthChallenges(absl::string_view header);

// ParseAuthChallengeHeaders: every challenge of every WWW-Authenticate field, in order.
absl::StatusOr<std::vector<AuthChallenge>> ParseAuthChallengeHeaders(
    const std::vector<std::string>& fields);

}  // namespace hallmark::oci

#endif  // HALLMARK_OCI_AUTH_CHALLENGE_H_
