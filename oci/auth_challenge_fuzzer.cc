// Fuzz target for WWW-Authenticate values (chosen by registries): never crashes, errors are
// kInvalidArgument, results respect the limits and hold no CR/LF (values end up in URLs).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "oci/auth_challenge.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  auto parsed = hallmark::oci::ParseAuthChallenges(input);
  if (!parsed.ok()) {
    if (parsed.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  if (parsed->empty() || parsed->size() > hallmark::oci::kMaxChallenges) std::abort();
  for (const auto& c : *parsed) {
    if (c.scheme.empty() || c.params.size() > hallmark::oci::kMaxChallengeParams) std::abort();
    for (const auto& [k, v] : c.params) {
      if (k.empty() || v.find('\r') != std::string::npos || v.find('\n') != std::string::npos) {
        std::abort();
      }
    }
  }
  return 0;
}
