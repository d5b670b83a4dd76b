#include "crypto/cosign_key.h"

#include <cstdint>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/ssl_ptr.h"
#include "base/status_macros.h"
#include "crypto/internal/pem.h"
#include "nlohmann/json.hpp"
#include "openssl/evp.h"
#include "openssl/rand.h"
#include "sodium.h"

namespace hallmark::crypto {
namespace {

constexpr absl::string_view kKdfName = "scrypt";
constexpr absl::string_view kCipherName = "nacl/secretbox";
constexpr size_t kSaltBytes = 32;
constexpr size_t kKeyBytes = crypto_secretbox_KEYBYTES;      // 32
constexpr size_t kNonceBytes = crypto_secretbox_NONCEBYTES;  // 24
constexpr size_t kMacBytes = crypto_secretbox_MACBYTES;      // 16
// scrypt needs 128 * r * N bytes (128 MiB for N=131072, r=8) plus small change.
constexpr uint64_t kScryptMaxMem = 256ull * 1024 * 1024;

struct ScryptParams {
  uint64_t n;
  uint64_t r;
  uint64_t p;
};

// go-securesystemslib's accepted sets: legacy, standard (what cosign writes), OWASP.
constexpr ScryptParams kAllowedParams[] = {{32768, 8, 1}, {65536, 8, 1}, {131072, 8, 1}};

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("decrypt: malformed encrypted key: ", what));
}

bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

// The string member `name` of object `obj`, or an error naming `path`.
absl::StatusOr<std::string> StringField(const nlohmann::json& obj, const char* name,
                                        absl::string_view path) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_string()) {
    return Malformed(absl::StrCat(path, " must be a string"));
  }
  return it->get<std::string>();
}

absl::StatusOr<const nlohmann::json*> ObjectField(const nlohmann::json& obj, const char* name,
                                                  absl::string_view path) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_object()) {
    return Malformed(absl::StrCat(path, " must be an object"));
  }
  return &*it;
}

absl::StatusOr<uint64_t> IntField(const nlohmann::json& obj, const char* name,
                                  absl::string_view path) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_number_integer()) {
    return Malformed(absl::StrCat(path, " must be an integer"));
  }
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  int64_t v = it->get<int64_t>();
  if (v < 0) return absl::InvalidArgumentError("decrypt: unsupported scrypt parameters");
  return static_cast<uint64_t>(v);
}

absl::StatusOr<std::string> Base64Field(const nlohmann::json& obj, const char* name,
                                        absl::string_view path) {
  HM_ASSIGN_OR_RETURN(std::string text, StringField(obj, name, path));
  absl::StatusOr<std::string> bytes = Base64Decode(text);
  if (!bytes.ok()) return Malformed(absl::StrCat(path, " is not standard base64"));
  return bytes;
}

absl::StatusOr<SecretData> DeriveKey(const SecretData& password, absl::string_view salt,
                                     const ScryptParams& params) {
  SecretData key(kKeyBytes);
  static const char kEmpty[1] = {0};
  const char* pass = password.empty() ? kEmpty : password.InsecureView().data();
  if (EVP_PBE_scrypt(pass, password.size(), reinterpret_cast<const unsigned char*>(salt.data()),
                     salt.size(), params.n, params.r, params.p, kScryptMaxMem, key.data(),
                     key.size()) != 1) {
    return SslError("scrypt");
  }
  return key;
}

}  // namespace

bool IsCosignKeyPem(absl::string_view pem) {
  std::optional<internal::PemBlock> block = internal::DecodePem(pem);
  return block.has_value() &&
         (block->type == kSigstorePrivateKeyPemType || block->type == kCosignPrivateKeyPemType);
}

absl::StatusOr<PrivateKey> LoadCosignKey(absl::string_view pem, const SecretData& password) {
  if (pem.size() > kMaxCosignKeyFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat("cosign key file too large (", pem.size(),
                                                   " bytes, at most ", kMaxCosignKeyFileBytes,
                                                   ")"));
  }
  std::optional<internal::PemBlock> block = internal::DecodePem(pem);
  if (!block.has_value()) return absl::InvalidArgumentError("invalid pem block");
  if (block->type != kSigstorePrivateKeyPemType && block->type != kCosignPrivateKeyPemType) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported pem type: ", block->type));
  }

  // The JSON is not secret (it is the encrypted form).
  nlohmann::json doc = nlohmann::json::parse(block->bytes.InsecureView().begin(),
                                             block->bytes.InsecureView().end(), nullptr,
                                             /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Malformed("not a JSON object");
  HM_ASSIGN_OR_RETURN(const nlohmann::json* kdf, ObjectField(doc, "kdf", "kdf"));
  HM_ASSIGN_OR_RETURN(const nlohmann::json* cipher, ObjectField(doc, "cipher", "cipher"));
  HM_ASSIGN_OR_RETURN(std::string kdf_name, StringField(*kdf, "name", "kdf.name"));
  if (kdf_name != kKdfName) {
    return absl::InvalidArgumentError(
        absl::StrCat("decrypt: encrypted: unknown kdf name \"", kdf_name, "\""));
  }
  HM_ASSIGN_OR_RETURN(std::string cipher_name, StringField(*cipher, "name", "cipher.name"));
  if (cipher_name != kCipherName) {
    return absl::InvalidArgumentError(
        absl::StrCat("decrypt: encrypted: unknown cipher name \"", cipher_name, "\""));
  }
  HM_ASSIGN_OR_RETURN(const nlohmann::json* params_json, ObjectField(*kdf, "params", "kdf.params"));
  ScryptParams params;
  HM_ASSIGN_OR_RETURN(params.n, IntField(*params_json, "N", "kdf.params.N"));
  HM_ASSIGN_OR_RETURN(params.r, IntField(*params_json, "r", "kdf.params.r"));
  HM_ASSIGN_OR_RETURN(params.p, IntField(*params_json, "p", "kdf.params.p"));
  bool allowed = false;
  for (const ScryptParams& ok : kAllowedParams) {
    allowed |= ok.n == params.n && ok.r == params.r && ok.p == params.p;
  }
  // Before any scrypt work: a tampered file must not buy gigabytes of memory or hours of CPU.
  if (!allowed) return absl::InvalidArgumentError("decrypt: unsupported scrypt parameters");

  HM_ASSIGN_OR_RETURN(std::string salt, Base64Field(*kdf, "salt", "kdf.salt"));
  HM_ASSIGN_OR_RETURN(std::string nonce, Base64Field(*cipher, "nonce", "cipher.nonce"));
  HM_ASSIGN_OR_RETURN(std::string ciphertext, Base64Field(doc, "ciphertext", "ciphertext"));
  if (nonce.size() != kNonceBytes) {
    return absl::InvalidArgumentError("decrypt: encrypted: incorrect nonce size");
  }
  if (ciphertext.size() < kMacBytes) {
    return absl::InvalidArgumentError("decrypt: encrypted: decryption failed");
  }
  if (!SodiumReady()) return absl::InternalError("libsodium failed to initialise");

  HM_ASSIGN_OR_RETURN(SecretData box_key, DeriveKey(password, salt, params));
  SecretData plaintext(ciphertext.size() - kMacBytes);
  if (crypto_secretbox_open_easy(
          plaintext.data(), reinterpret_cast<const unsigned char*>(ciphertext.data()),
          ciphertext.size(), reinterpret_cast<const unsigned char*>(nonce.data()),
          box_key.data()) != 0) {
    return absl::InvalidArgumentError("decrypt: encrypted: decryption failed");
  }
  absl::StatusOr<PrivateKey> key = PrivateKey::ParsePkcs8Der(plaintext);
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("parsing private key: ", key.status().message()));
  }
  return key;
}

absl::StatusOr<std::string> EncryptCosignKey(const PrivateKey& key, const SecretData& password,
                                             CosignKeyFormat format) {
  if (!SodiumReady()) return absl::InternalError("libsodium failed to initialise");
  HM_ASSIGN_OR_RETURN(SecretData pkcs8, key.InsecurePkcs8Der());
  const bool legacy = format == CosignKeyFormat::kLegacy;
  const ScryptParams params = legacy ? kAllowedParams[0] : kAllowedParams[1];

  std::string salt(kSaltBytes, '\0');
  std::string nonce(kNonceBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), salt.size()) != 1 ||
      RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), nonce.size()) != 1) {
    return SslError("generating salt and nonce");
  }
  HM_ASSIGN_OR_RETURN(SecretData box_key, DeriveKey(password, salt, params));
  std::string ciphertext(pkcs8.size() + kMacBytes, '\0');
  if (crypto_secretbox_easy(reinterpret_cast<unsigned char*>(ciphertext.data()), pkcs8.data(),
                            pkcs8.size(), reinterpret_cast<const unsigned char*>(nonce.data()),
                            box_key.data()) != 0) {
    return absl::InternalError("secretbox encryption failed");
  }
  // Go's encoding/json output for go-securesystemslib's struct: compact, field order
  // kdf{name, params{N, r, p}, salt}, cipher{name, nonce}, ciphertext. Every value is a fixed
  // name, an integer or base64, so nothing needs escaping.
  std::string json =
      absl::StrCat(R"({"kdf":{"name":")", kKdfName, R"(","params":{"N":)", params.n, R"(,"r":)",
                   params.r, R"(,"p":)", params.p, R"(},"salt":")", Base64Encode(salt),
                   R"("},"cipher":{"name":")", kCipherName, R"(","nonce":")", Base64Encode(nonce),
                   R"("},"ciphertext":")", Base64Encode(ciphertext), R"("})");
  return internal::EncodePem(legacy ? kCosignPrivateKeyPemType : kSigstorePrivateKeyPemType, json);
}

}  // namespace hallmark::crypto
