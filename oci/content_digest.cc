#include "oci/content_digest.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "openssl/evp.h"

namespace hallmark::oci {
namespace {

const EVP_MD* MdFor(absl::string_view algorithm) {
  if (algorithm == "sha384") return EVP_sha384();
  if (algorithm == "sha512") return EVP_sha512();
  return EVP_sha256();
}

std::string HashHex(absl::string_view data, const EVP_MD* md) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // EVP_Digest only fails on allocation failure inside OpenSSL; `len` stays 0 then and the hex
  // is empty, which can never match a valid digest.
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) len = 0;
  return HexEncode(absl::string_view(reinterpret_cast<const char*>(out), len));
}

}  // namespace

Digest DigestOf(absl::string_view data, absl::string_view algorithm) {
  const EVP_MD* md = MdFor(algorithm);
  absl::string_view name = algorithm == "sha384" || algorithm == "sha512" ? algorithm : "sha256";
  auto digest = Digest::Parse(absl::StrCat(name, ":", HashHex(data, md)));
  // The text is built from a real hash, so it always parses; the fallback keeps this total.
  if (!digest.ok()) return *Digest::Parse(absl::StrCat("sha256:", std::string(64, '0')));
  return *std::move(digest);
}

Digest Sha256Of(absl::string_view data) { return DigestOf(data, "sha256"); }

absl::Status CheckContentDigest(absl::string_view data, const Digest& want,
                                absl::string_view what) {
  Digest got = DigestOf(data, want.algorithm());
  if (got == want) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(what, ": content does not match digest ",
                                                    want.String(), " (got ", got.String(), ")"));
}

}  // namespace hallmark::oci
