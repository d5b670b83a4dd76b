#include "crypto/digest.h"

#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "openssl/sha.h"

namespace hallmark::crypto {

std::string Sha256(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

std::string Sha256Hex(absl::string_view data) { return HexEncode(Sha256(data)); }

std::string Sha256Digest(absl::string_view data) {
  return absl::StrCat("sha256:", Sha256Hex(data));
}

}  // namespace hallmark::crypto
