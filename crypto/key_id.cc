#include "crypto/key_id.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/encoding.h"
#include "base/ssl_ptr.h"
#include "crypto/digest.h"
#include "openssl/bn.h"
#include "openssl/core_names.h"

namespace hallmark::crypto {
namespace {

void AppendString(std::string* out, absl::string_view bytes) {
  const uint32_t n = static_cast<uint32_t>(bytes.size());
  out->push_back(static_cast<char>(n >> 24));
  out->push_back(static_cast<char>(n >> 16));
  out->push_back(static_cast<char>(n >> 8));
  out->push_back(static_cast<char>(n));
  out->append(bytes.data(), bytes.size());
}

// RFC 4251 mpint of a non-negative number: big-endian, minimal, with a 0x00 in front when the
// top bit is set; zero is the empty string.
absl::StatusOr<std::string> Mpint(const EVP_PKEY* pkey, const char* param) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, param, &raw) != 1) return SslError("reading RSA parameter");
  SslPtr<BIGNUM> bn(raw);
  std::string bytes(static_cast<size_t>(BN_num_bytes(bn.get())), '\0');
  BN_bn2bin(bn.get(), reinterpret_cast<unsigned char*>(bytes.data()));
  if (!bytes.empty() && (static_cast<uint8_t>(bytes[0]) & 0x80) != 0) bytes.insert(0, 1, '\0');
  return bytes;
}

absl::StatusOr<std::string> SshWireFormat(const PublicKey& key) {
  const EVP_PKEY* pkey = key.evp_pkey();
  std::string out;
  switch (key.type()) {
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384:
    case KeyType::kEcdsaP521: {
      const char* curve = key.type() == KeyType::kEcdsaP256   ? "nistp256"
                          : key.type() == KeyType::kEcdsaP384 ? "nistp384"
                                                              : "nistp521";
      unsigned char point[1 + 2 * 66];
      size_t len = 0;
      if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
                                          sizeof(point), &len) != 1) {
        return SslError("reading EC public point");
      }
      AppendString(&out, absl::StrCat("ecdsa-sha2-", curve));
      AppendString(&out, curve);
      AppendString(&out, absl::string_view(reinterpret_cast<char*>(point), len));
      return out;
    }
    case KeyType::kRsa2048:
    case KeyType::kRsa3072:
    case KeyType::kRsa4096: {
      absl::StatusOr<std::string> e = Mpint(pkey, OSSL_PKEY_PARAM_RSA_E);
      if (!e.ok()) return e.status();
      absl::StatusOr<std::string> n = Mpint(pkey, OSSL_PKEY_PARAM_RSA_N);
      if (!n.ok()) return n.status();
      AppendString(&out, "ssh-rsa");
      AppendString(&out, *e);
      AppendString(&out, *n);
      return out;
    }
    case KeyType::kEd25519: {
      unsigned char raw[32];
      size_t len = sizeof(raw);
      if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 || len != sizeof(raw)) {
        return SslError("reading Ed25519 public key");
      }
      AppendString(&out, "ssh-ed25519");
      AppendString(&out, absl::string_view(reinterpret_cast<char*>(raw), len));
      return out;
    }
  }
  return absl::InternalError("unknown key type");
}

}  // namespace

absl::StatusOr<std::string> SshFingerprint(const PublicKey& key) {
  absl::StatusOr<std::string> wire = SshWireFormat(key);
  if (!wire.ok()) return wire.status();
  std::string b64 = Base64Encode(Sha256(*wire));
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return absl::StrCat("SHA256:", b64);
}

std::string PublicKeyHint(const PublicKey& key) { return Base64Encode(Sha256(key.der())); }

}  // namespace hallmark::crypto
