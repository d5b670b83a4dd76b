#include "crypto/public_key.h"

#include <cstdint>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/ssl_ptr.h"
#include "base/status_macros.h"
#include "crypto/internal/evp.h"
#include "crypto/internal/pem.h"
#include "openssl/x509.h"

namespace hallmark::crypto {
namespace {

constexpr absl::string_view kPublicKeyPemType = "PUBLIC KEY";
constexpr absl::string_view kRsaPublicKeyPemType = "RSA PUBLIC KEY";
constexpr absl::string_view kCertificatePemType = "CERTIFICATE";

absl::StatusOr<PublicKey> ParseBlock(const internal::PemBlock& block) {
  if (block.type == kPublicKeyPemType) return PublicKey::ParseDer(block.bytes.InsecureView());
  if (block.type == kRsaPublicKeyPemType) {
    // PKCS#1 RSAPublicKey: re-encode as PKIX so every key has one canonical DER.
    const unsigned char* p = block.bytes.data();
    const unsigned char* end = p + block.bytes.size();
    SslPtr<EVP_PKEY> pkey(
        d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, static_cast<long>(block.bytes.size())));
    if (pkey == nullptr || p != end) {
      ClearSslErrors();
      return absl::InvalidArgumentError("malformed RSA PUBLIC KEY (PKCS#1) block");
    }
    HM_ASSIGN_OR_RETURN(std::string der, internal::PublicKeyDer(pkey.get()));
    return PublicKey::ParseDer(der);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown Public key PEM file type: ", block.type,
                                                 ". Are you passing the correct public key?"));
}

// Go's x509.ParsePKIXPublicKey only takes uncompressed EC points (0x04 || X || Y); OpenSSL also
// takes compressed ones. The point is the content of the BIT STRING that ends the SPKI:
// 03 <len> 00 04 X Y.
bool EndsWithUncompressedPoint(absl::string_view der, KeyType type) {
  const size_t n = type == KeyType::kEcdsaP256 ? 65 : type == KeyType::kEcdsaP384 ? 97 : 133;
  if (der.size() < n + 4) return false;
  auto at = [&](size_t from_end) { return static_cast<uint8_t>(der[der.size() - from_end]); };
  if (at(n) != 0x04 || at(n + 1) != 0x00) return false;
  if (n + 1 < 128) return at(n + 2) == n + 1 && at(n + 3) == 0x03;
  return at(n + 2) == n + 1 && at(n + 3) == 0x81 && at(n + 4) == 0x03;
}

absl::Status InvalidSignature(KeyType type) {
  if (IsEcdsa(type)) {
    return absl::InvalidArgumentError("invalid signature when validating ASN.1 encoded signature");
  }
  if (IsRsa(type)) return absl::InvalidArgumentError("crypto/rsa: verification error");
  return absl::InvalidArgumentError("failed to verify signature");
}

}  // namespace

absl::StatusOr<PublicKey> PublicKey::ParsePem(absl::string_view pem) {
  HM_ASSIGN_OR_RETURN(std::vector<internal::PemBlock> blocks,
                      internal::DecodeAllPem(pem, kMaxKeysPerText));
  if (blocks.empty()) return absl::InvalidArgumentError("PEM decoding failed");
  if (blocks.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat("expected one public key, found ", blocks.size(),
                                                   " PEM blocks (use a file with a single key)"));
  }
  return ParseBlock(blocks[0]);
}

absl::StatusOr<std::vector<PublicKey>> PublicKey::ParsePemKeys(absl::string_view text) {
  HM_ASSIGN_OR_RETURN(std::vector<internal::PemBlock> blocks,
                      internal::DecodeAllPem(text, kMaxKeysPerText));
  if (blocks.empty()) return absl::InvalidArgumentError("PEM decoding failed");
  std::vector<PublicKey> keys;
  keys.reserve(blocks.size());
  for (size_t i = 0; i < blocks.size(); ++i) {
    absl::StatusOr<PublicKey> key = ParseBlock(blocks[i]);
    if (!key.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("public key ", i + 1, " of ", blocks.size(), ": ", key.status().message()));
    }
    keys.push_back(*std::move(key));
  }
  return keys;
}

absl::StatusOr<PublicKey> PublicKey::ParseDer(absl::string_view pkix_der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(pkix_der.data());
  const unsigned char* end = p + pkix_der.size();
  SslPtr<EVP_PKEY> pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(pkix_der.size())));
  if (pkey == nullptr) {
    ClearSslErrors();
    return absl::InvalidArgumentError("malformed PKIX public key (SubjectPublicKeyInfo DER)");
  }
  if (p != end) {
    return absl::InvalidArgumentError("trailing data after the PKIX public key");
  }
  HM_ASSIGN_OR_RETURN(KeyType type, internal::KeyTypeOf(pkey.get()));
  HM_ASSIGN_OR_RETURN(std::string der, internal::PublicKeyDer(pkey.get()));
  if (IsEcdsa(type) && !EndsWithUncompressedPoint(pkix_der, type)) {
    return absl::InvalidArgumentError("unsupported EC point encoding (want uncompressed)");
  }
  // DER is canonical, so a key we accept re-encodes to the same bytes; what does not (e.g. RSA
  // without its NULL parameters) Go's x509.ParsePKIXPublicKey refuses too.
  if (der != pkix_der) {
    return absl::InvalidArgumentError("non-canonical PKIX public key encoding");
  }
  return PublicKey(std::shared_ptr<EVP_PKEY>(std::move(pkey)), std::move(der), type);
}

absl::StatusOr<PublicKey> PublicKey::FromCertificatePem(absl::string_view pem) {
  std::optional<internal::PemBlock> block = internal::DecodePem(pem);
  if (!block.has_value()) return absl::InvalidArgumentError("PEM decoding failed");
  if (block->type != kCertificatePemType) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a CERTIFICATE PEM block, found ", block->type));
  }
  return FromCertificateDer(block->bytes.InsecureView());
}

absl::StatusOr<PublicKey> PublicKey::FromCertificateDer(absl::string_view der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* end = p + der.size();
  SslPtr<X509> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert == nullptr || p != end) {
    ClearSslErrors();
    return absl::InvalidArgumentError("malformed X.509 certificate");
  }
  SslPtr<EVP_PKEY> pkey(X509_get_pubkey(cert.get()));
  if (pkey == nullptr) {
    ClearSslErrors();
    return absl::InvalidArgumentError("certificate has an unreadable public key");
  }
  HM_ASSIGN_OR_RETURN(std::string key_der, internal::PublicKeyDer(pkey.get()));
  return ParseDer(key_der);
}

absl::Status PublicKey::Verify(absl::string_view data, absl::string_view signature,
                               HashAlgorithm hash) const {
  if (signature.empty()) return InvalidSignature(type_);
  SslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return SslError("EVP_MD_CTX_new");
  const EVP_MD* md = type_ == KeyType::kEd25519 ? nullptr : internal::MessageDigest(hash);
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, pkey_.get()) != 1) {
    return SslError("initialising signature verification");
  }
  int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                            data.size());
  if (rc != 1) {
    ClearSslErrors();
    return InvalidSignature(type_);
  }
  return absl::OkStatus();
}

std::string PublicKey::Pem() const { return internal::EncodePem(kPublicKeyPemType, der_); }

}  // namespace hallmark::crypto
