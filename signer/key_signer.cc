#include "signer/key_signer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "crypto/dsse.h"
#include "crypto/key_id.h"
#include "crypto/key_type.h"

namespace hallmark::signer {

absl::StatusOr<std::unique_ptr<KeySigner>> KeySigner::New(crypto::PrivateKey key,
                                                          std::string origin) {
  HM_ASSIGN_OR_RETURN(std::string keyid, crypto::SshFingerprint(key.public_key()));
  return std::unique_ptr<KeySigner>(
      new KeySigner(std::move(key), std::move(keyid), std::move(origin)));
}

absl::StatusOr<std::string> KeySigner::Sign(absl::string_view payload) const {
  // SHA-256 for every ECDSA curve and RSA: what cosign verify, containers/image and Kyverno
  // check by default (crypto/key_type.h).
  return key_.Sign(payload, crypto::kDefaultHash);
}

absl::StatusOr<std::string> KeySigner::SignDsse(absl::string_view payload_type,
                                                absl::string_view payload) const {
  return crypto::SignDsseEnvelope(key_, payload_type, payload, keyid_, crypto::kDefaultHash);
}

std::string KeySigner::Describe() const {
  return absl::StrCat(crypto::KeyTypeName(key_.type()), " key ", keyid_, " from ", origin_);
}

}  // namespace hallmark::signer
