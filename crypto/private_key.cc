#include "crypto/private_key.h"

#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/ssl_ptr.h"
#include "base/status_macros.h"
#include "crypto/internal/evp.h"
#include "crypto/internal/pem.h"
#include "openssl/core_names.h"
#include "openssl/x509.h"

namespace hallmark::crypto {
namespace {

constexpr absl::string_view kPkcs8PemType = "PRIVATE KEY";
constexpr absl::string_view kSec1PemType = "EC PRIVATE KEY";
constexpr absl::string_view kPkcs1PemType = "RSA PRIVATE KEY";

// Parses PKCS#8 PrivateKeyInfo DER (whole input). nullptr on any failure (queue cleared).
SslPtr<EVP_PKEY> ParsePkcs8(absl::string_view der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* end = p + der.size();
  SslPtr<PKCS8_PRIV_KEY_INFO> info(
      d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(der.size())));
  if (info == nullptr || p != end) {
    ClearSslErrors();
    return nullptr;
  }
  SslPtr<EVP_PKEY> pkey(EVP_PKCS82PKEY(info.get()));
  if (pkey == nullptr) ClearSslErrors();
  return pkey;
}

// Parses a type-specific private key DER: SEC1 ECPrivateKey (EVP_PKEY_EC) or PKCS#1
// RSAPrivateKey (EVP_PKEY_RSA). OpenSSL's d2i_PrivateKey also accepts PKCS#8 here; Go does not,
// so PKCS#8 input is refused first.
SslPtr<EVP_PKEY> ParseTypeSpecific(int evp_type, absl::string_view der) {
  if (ParsePkcs8(der) != nullptr) return nullptr;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* end = p + der.size();
  SslPtr<EVP_PKEY> pkey(d2i_PrivateKey(evp_type, nullptr, &p, static_cast<long>(der.size())));
  if (pkey == nullptr || p != end) {
    ClearSslErrors();
    return nullptr;
  }
  // d2i_PrivateKey(EVP_PKEY_EC, ...) must not hand back a key of another type.
  if (!EVP_PKEY_is_a(pkey.get(), evp_type == EVP_PKEY_EC ? "EC" : "RSA")) return nullptr;
  return pkey;
}

}  // namespace

absl::StatusOr<PrivateKey> PrivateKey::FromEvp(std::shared_ptr<EVP_PKEY> pkey) {
  if (EVP_PKEY_is_a(pkey.get(), "EC")) {
    // A SEC1 file may carry a compressed public point; publish (and fingerprint) it
    // uncompressed, as Go does.
    if (EVP_PKEY_set_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                       "uncompressed") != 1) {
      return SslError("setting EC point format");
    }
  }
  // ParseDer classifies the key (type, curve, size) and refuses what we do not support.
  HM_ASSIGN_OR_RETURN(std::string der, internal::PublicKeyDer(pkey.get()));
  HM_ASSIGN_OR_RETURN(PublicKey public_key, PublicKey::ParseDer(der));
  PrivateKey key(std::move(pkey), std::move(public_key));
  // Key files carry the public half next to the private one and OpenSSL does not compare them;
  // an inconsistent file would sign with one key and publish another. A signature over a fixed
  // message must verify with the key we publish. (Cheaper than EVP_PKEY_pairwise_check, which
  // for RSA also tests p and q for primality: 30-230 ms.)
  static constexpr absl::string_view kProbe = "hallmark key consistency check";
  HM_ASSIGN_OR_RETURN(std::string probe_sig, key.Sign(kProbe));
  if (!key.public_key().Verify(kProbe, probe_sig).ok()) {
    return absl::InvalidArgumentError("the private key does not match its public key");
  }
  return key;
}

absl::StatusOr<PrivateKey> PrivateKey::Generate(KeyType type) {
  EVP_PKEY* raw = nullptr;
  switch (type) {
    case KeyType::kEcdsaP256:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case KeyType::kEcdsaP384:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
      break;
    case KeyType::kEcdsaP521:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521");
      break;
    case KeyType::kRsa2048:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
      break;
    case KeyType::kRsa3072:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(3072));
      break;
    case KeyType::kRsa4096:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(4096));
      break;
    case KeyType::kEd25519:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  SslPtr<EVP_PKEY> pkey(raw);
  if (pkey == nullptr) return SslError(absl::StrCat("generating ", KeyTypeName(type), " key"));
  return FromEvp(std::shared_ptr<EVP_PKEY>(std::move(pkey)));
}

absl::StatusOr<PrivateKey> PrivateKey::ParsePkcs8Der(const SecretData& der) {
  SslPtr<EVP_PKEY> pkey = ParsePkcs8(der.InsecureView());
  if (pkey == nullptr) {
    // Go's x509.ParsePKCS8PrivateKey points at the right parser when it recognises the input.
    if (ParseTypeSpecific(EVP_PKEY_EC, der.InsecureView()) != nullptr) {
      return absl::InvalidArgumentError(
          "x509: failed to parse private key (use ParseECPrivateKey instead for this key format)");
    }
    if (ParseTypeSpecific(EVP_PKEY_RSA, der.InsecureView()) != nullptr) {
      return absl::InvalidArgumentError(
          "x509: failed to parse private key (use ParsePKCS1PrivateKey instead for this key "
          "format)");
    }
    return absl::InvalidArgumentError("x509: failed to parse private key: not PKCS#8 DER");
  }
  absl::StatusOr<PrivateKey> key = FromEvp(std::shared_ptr<EVP_PKEY>(std::move(pkey)));
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported private key: ", key.status().message()));
  }
  return key;
}

absl::StatusOr<PrivateKey> PrivateKey::ParsePem(absl::string_view pem) {
  std::optional<internal::PemBlock> block = internal::DecodePem(pem);
  if (!block.has_value()) return absl::InvalidArgumentError("invalid pem block");
  const absl::string_view der = block->bytes.InsecureView();
  SslPtr<EVP_PKEY> pkey;
  const char* validate_what;
  if (block->type == kPkcs1PemType) {
    pkey = ParseTypeSpecific(EVP_PKEY_RSA, der);
    if (pkey == nullptr) {
      return absl::InvalidArgumentError(
          "error parsing rsa private key: x509: malformed PKCS#1 RSAPrivateKey");
    }
    validate_what = "rsa";
  } else if (block->type == kSec1PemType) {
    pkey = ParseTypeSpecific(EVP_PKEY_EC, der);
    if (pkey == nullptr) return absl::InvalidArgumentError("error parsing ecdsa private key");
    validate_what = "ecdsa";
  } else if (block->type == kPkcs8PemType) {
    pkey = ParsePkcs8(der);
    if (pkey == nullptr) return absl::InvalidArgumentError("error parsing pkcs #8 private key");
    if (EVP_PKEY_is_a(pkey.get(), "RSA")) {
      validate_what = "rsa";
    } else if (EVP_PKEY_is_a(pkey.get(), "EC")) {
      validate_what = "ecdsa";
    } else if (EVP_PKEY_is_a(pkey.get(), "ED25519")) {
      validate_what = "ed25519";
    } else {
      return absl::InvalidArgumentError("unexpected private key");
    }
  } else {
    return absl::InvalidArgumentError("unsupported private key");
  }
  absl::StatusOr<PrivateKey> key = FromEvp(std::shared_ptr<EVP_PKEY>(std::move(pkey)));
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("error validating ", validate_what, " key: ", key.status().message()));
  }
  return key;
}

absl::StatusOr<std::string> PrivateKey::Sign(absl::string_view data, HashAlgorithm hash) const {
  SslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return SslError("EVP_MD_CTX_new");
  const EVP_MD* md = type() == KeyType::kEd25519 ? nullptr : internal::MessageDigest(hash);
  if (EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, pkey_.get()) != 1) {
    return SslError("initialising signing");
  }
  const unsigned char* in = reinterpret_cast<const unsigned char*>(data.data());
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, data.size()) != 1) {
    return SslError("signing");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     data.size()) != 1) {
    return SslError("signing");
  }
  sig.resize(len);
  return sig;
}

absl::StatusOr<SecretData> PrivateKey::InsecurePkcs8Der() const {
  SslPtr<PKCS8_PRIV_KEY_INFO> info(EVP_PKEY2PKCS8(pkey_.get()));
  if (info == nullptr) return SslError("exporting private key as PKCS#8");
  int len = i2d_PKCS8_PRIV_KEY_INFO(info.get(), nullptr);
  if (len <= 0) return SslError("encoding PKCS#8");
  SecretData der(static_cast<size_t>(len));
  unsigned char* p = der.data();
  if (i2d_PKCS8_PRIV_KEY_INFO(info.get(), &p) != len) return SslError("encoding PKCS#8");
  return der;
}

}  // namespace hallmark::crypto
