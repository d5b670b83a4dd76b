#include "crypto/key_type.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace hallmark::crypto {
namespace {

constexpr KeyType kAllKeyTypes[] = {KeyType::kEcdsaP256, KeyType::kEcdsaP384, KeyType::kEcdsaP521,
                                    KeyType::kRsa2048,   KeyType::kRsa3072,   KeyType::kRsa4096,
                                    KeyType::kEd25519};
constexpr HashAlgorithm kAllHashes[] = {HashAlgorithm::kSha224, HashAlgorithm::kSha256,
                                        HashAlgorithm::kSha384, HashAlgorithm::kSha512};

}  // namespace

absl::string_view KeyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kEcdsaP256:
      return "ecdsa-p256";
    case KeyType::kEcdsaP384:
      return "ecdsa-p384";
    case KeyType::kEcdsaP521:
      return "ecdsa-p521";
    case KeyType::kRsa2048:
      return "rsa-2048";
    case KeyType::kRsa3072:
      return "rsa-3072";
    case KeyType::kRsa4096:
      return "rsa-4096";
    case KeyType::kEd25519:
      return "ed25519";
  }
  return "unknown";
}

absl::StatusOr<KeyType> ParseKeyType(absl::string_view name) {
  for (KeyType type : kAllKeyTypes) {
    if (KeyTypeName(type) == name) return type;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown key type \"", name,
      "\" (want ecdsa-p256, ecdsa-p384, ecdsa-p521, rsa-2048, rsa-3072, rsa-4096 or ed25519)"));
}

bool IsEcdsa(KeyType type) {
  return type == KeyType::kEcdsaP256 || type == KeyType::kEcdsaP384 || type == KeyType::kEcdsaP521;
}

bool IsRsa(KeyType type) {
  return type == KeyType::kRsa2048 || type == KeyType::kRsa3072 || type == KeyType::kRsa4096;
}

absl::string_view HashAlgorithmName(HashAlgorithm hash) {
  switch (hash) {
    case HashAlgorithm::kSha224:
      return "sha224";
    case HashAlgorithm::kSha256:
      return "sha256";
    case HashAlgorithm::kSha384:
      return "sha384";
    case HashAlgorithm::kSha512:
      return "sha512";
  }
  return "unknown";
}

absl::StatusOr<HashAlgorithm> ParseHashAlgorithm(absl::string_view name) {
  for (HashAlgorithm hash : kAllHashes) {
    if (HashAlgorithmName(hash) == name) return hash;
  }
  return absl::InvalidArgumentError(absl::StrCat("unsupported signature digest algorithm \"", name,
                                                 "\" (want sha224, sha256, sha384 or sha512)"));
}

}  // namespace hallmark::crypto
