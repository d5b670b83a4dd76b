// File: crypto/internal/evp.h
//
// Small OpenSSL EVP helpers shared by PublicKey and PrivateKey.
#ifndef HALLMARK_CRYPTO_INTERNAL_EVP_H_
#define HALLMARK_CRYPTO_INTERNAL_EVP_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/key_type.h"
#include "openssl/evp.h"

namespace hallmark::crypto::internal {

// KeyTypeOf classifies `pkey` (public or private): EC on a named P-256/P-384/P-521 curve, RSA with
// a 2048/3072/4096-bit modulus, or Ed25519. kInvalidArgument for anything else, naming what it is.
absl::StatusOr<KeyType> KeyTypeOf(const EVP_PKEY* pkey);

// MessageDigest: OpenSSL's EVP_MD for `hash` (static, never freed).
const EVP_MD* MessageDigest(HashAlgorithm hash);

// PublicKeyDer: the PKIX SubjectPublicKeyInfo DER of `pkey`'s public half.
absl::StatusOr<std::string> PublicKeyDer(const EVP_PKEY* pkey);

}  // namespace hallmark::crypto::internal

#endif  // HALLMARK_CRYPTO_INTERNAL_EVP_H_
