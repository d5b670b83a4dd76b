// Fuzz target: every parser of key material from untrusted text (cosign key files, private and
// public key PEM, Kyverno key lists, certificates). Invariants checked besides "no crash":
// a parsed public key round-trips through its PEM and DER, and a parsed private key's signature
// verifies with its public key.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/secret_data.h"
#include "crypto/cosign_key.h"
#include "crypto/internal/pem.h"
#include "crypto/private_key.h"
#include "crypto/public_key.h"

namespace {

using hallmark::SecretData;
using hallmark::crypto::PrivateKey;
using hallmark::crypto::PublicKey;

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckPublicKey(const PublicKey& key) {
  absl::StatusOr<PublicKey> again = PublicKey::ParsePem(key.Pem());
  Check(again.ok() && *again == key);
  absl::StatusOr<PublicKey> from_der = PublicKey::ParseDer(key.der());
  Check(from_der.ok() && *from_der == key);
}

void CheckPrivateKey(const PrivateKey& key) {
  absl::StatusOr<std::string> sig = key.Sign("fuzz");
  Check(sig.ok() && key.public_key().Verify("fuzz", *sig).ok());
  CheckPublicKey(key.public_key());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  // The fixtures' passwords: "p" opens the Chains keys, "hello" the cosign ones, "" conforma's.
  for (const char* password : {"p", "hello", ""}) {
    absl::StatusOr<PrivateKey> key = hallmark::crypto::LoadCosignKey(input, SecretData(password));
    if (key.ok()) CheckPrivateKey(*key);
    // Only pay for scrypt again when the file really is a cosign key.
    if (!hallmark::crypto::IsCosignKeyPem(input)) break;
  }
  if (absl::StatusOr<PrivateKey> key = PrivateKey::ParsePem(input); key.ok()) {
    CheckPrivateKey(*key);
  }
  if (absl::StatusOr<PublicKey> key = PublicKey::ParsePem(input); key.ok()) CheckPublicKey(*key);
  if (absl::StatusOr<std::vector<PublicKey>> keys = PublicKey::ParsePemKeys(input); keys.ok()) {
    Check(!keys->empty() && keys->size() <= PublicKey::kMaxKeysPerText);
    for (const PublicKey& k : *keys) CheckPublicKey(k);
  }
  if (absl::StatusOr<PublicKey> key = PublicKey::FromCertificatePem(input); key.ok()) {
    CheckPublicKey(*key);
  }
  (void)PublicKey::ParseDer(input);
  (void)PublicKey::FromCertificateDer(input);
  (void)PrivateKey::ParsePkcs8Der(SecretData(input));
  // PEM framing: every decoded block re-encodes to a block with the same bytes.
  absl::StatusOr<std::vector<hallmark::crypto::internal::PemBlock>> blocks =
      hallmark::crypto::internal::DecodeAllPem(input, 64);
  if (blocks.ok()) {
    for (const auto& b : *blocks) {
      if (b.type.find('\n') != std::string::npos || b.type.find('-') == 0) continue;
      std::optional<hallmark::crypto::internal::PemBlock> again =
          hallmark::crypto::internal::DecodePem(
              hallmark::crypto::internal::EncodePem(b.type, b.bytes.InsecureView()));
      Check(again.has_value() && again->bytes == b.bytes);
    }
  }
  return 0;
}
