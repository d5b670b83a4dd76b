// Fuzz target for image references: any input either fails with kInvalidArgument or parses to a
// reference whose String() parses back to the same value and whose parts obey the grammar limits.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "oci/reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  auto ref = hallmark::oci::Reference::Parse(input);
  if (!ref.ok()) {
    if (ref.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  auto again = hallmark::oci::Reference::Parse(ref->String());
  if (!again.ok() || *again != *ref) std::abort();
  if (ref->tag().size() > hallmark::oci::kMaxTagLength) std::abort();
  if (ref->has_digest() && ref->digest()->algorithm() == "sha256" &&
      !hallmark::oci::IsValidImageDigest(ref->digest()->String())) {
    std::abort();
  }
  auto digest = hallmark::oci::Digest::Parse(input);
  if (digest.ok() && digest->String() != input) std::abort();
  return 0;
}
