#include "crypto/internal/evp.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/ssl_ptr.h"
#include "openssl/core_names.h"

namespace hallmark::crypto::internal {

absl::StatusOr<KeyType> KeyTypeOf(const EVP_PKEY* pkey) {
  if (EVP_PKEY_is_a(pkey, "EC")) {
    char group[64] = {0};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                       &len) != 1) {
      ClearSslErrors();
      return absl::InvalidArgumentError(
          "unsupported ecdsa key: the curve is not a named curve (explicit parameters)");
    }
    absl::string_view name(group, len);
    if (name == "prime256v1" || name == "P-256") return KeyType::kEcdsaP256;
    if (name == "secp384r1" || name == "P-384") return KeyType::kEcdsaP384;
    if (name == "secp521r1" || name == "P-521") return KeyType::kEcdsaP521;
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported ec curve ", name, " (want P-256, P-384 or P-521)"));
  }
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    int bits = EVP_PKEY_get_bits(pkey);
    if (bits == 2048) return KeyType::kRsa2048;
    if (bits == 3072) return KeyType::kRsa3072;
    if (bits == 4096) return KeyType::kRsa4096;
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported rsa key size ", bits, " bits (want 2048, 3072 or 4096)"));
  }
  if (EVP_PKEY_is_a(pkey, "ED25519")) return KeyType::kEd25519;
  const char* type = EVP_PKEY_get0_type_name(pkey);
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported key type ", type == nullptr ? "unknown" : type,
                   " (want ECDSA P-256/P-384/P-521, RSA or Ed25519)"));
}

const EVP_MD* MessageDigest(HashAlgorithm hash) {
  switch (hash) {
    case HashAlgorithm::kSha224:
      return EVP_sha224();
    case HashAlgorithm::kSha256:
      return EVP_sha256();
    case HashAlgorithm::kSha384:
      return EVP_sha384();
    case HashAlgorithm::kSha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}

absl::StatusOr<std::string> PublicKeyDer(const EVP_PKEY* pkey) {
  int len = i2d_PUBKEY(pkey, nullptr);
  if (len <= 0) return SslError("encoding public key");
  std::string der(static_cast<size_t>(len), '\0');
  unsigned char* p = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_PUBKEY(pkey, &p) != len) return SslError("encoding public key");
  return der;
}

}  // namespace hallmark::crypto::internal
