// File: signer/key_signer.h
//
// KeySigner: a Signer over one decrypted crypto::PrivateKey. The key is decrypted by whoever
// builds it (signer/signing_secrets.h does it once per Secret version); signing never decrypts
// or derives anything again.
//
//   HM_ASSIGN_OR_RETURN(auto signer, KeySigner::New(std::move(key), "cosign.key"));
//   HM_ASSIGN_OR_RETURN(std::string envelope, signer->SignDsse(kInTotoPayloadType, statement));
#ifndef HALLMARK_SIGNER_KEY_SIGNER_H_
#define HALLMARK_SIGNER_KEY_SIGNER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/private_key.h"
#include "crypto/public_key.h"
#include "signer/signer.h"

namespace hallmark::signer {

class KeySigner final : public Signer {
 public:
  // New computes the key's SSH fingerprint (the DSSE keyid). `origin` says where the key came
  // from, for Describe() ("x509.pem", "cosign.key"). kInternal only if the fingerprint fails.
  static absl::StatusOr<std::unique_ptr<KeySigner>> New(crypto::PrivateKey key, std::string origin);

  absl::StatusOr<std::string> Sign(absl::string_view payload) const override;
  absl::StatusOr<std::string> SignDsse(absl::string_view payload_type,
                                       absl::string_view payload) const override;
  const crypto::PublicKey& public_key() const override { return key_.public_key(); }
  std::string Describe() const override;

  // keyid: the DSSE keyid written, "SHA256:<base64 without padding>".
  const std::string& keyid() const { return keyid_; }

 private:
  KeySigner(crypto::PrivateKey key, std::string keyid, std::string origin)
      : key_(std::move(key)), keyid_(std::move(keyid)), origin_(std::move(origin)) {}

  const crypto::PrivateKey key_;
  const std::string keyid_;
  const std::string origin_;
};

}  // namespace hallmark::signer

#endif  // HALLMARK_SIGNER_KEY_SIGNER_H_
