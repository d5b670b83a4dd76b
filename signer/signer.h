// File: signer/signer.h
//
// Signer: the role "sign what the agent produced for a run" with one key (DESIGN.md: signer/).
// Two operations, matching the two artifact kinds Tekton Chains makes:
//   Sign      - a raw signature over bytes (the cosign simple-signing payload of a `.sig`);
//   SignDsse  - a DSSE envelope over an in-toto Statement (the `.att` / provenance), with the
//               key's SSH fingerprint as `keyid`, as Chains writes it (reference/chains.md §6).
//
// Implementations are immutable and thread-safe: the agent builds one per Secret version and
// shares it between workers through std::shared_ptr<const Signer>.
#ifndef HALLMARK_SIGNER_SIGNER_H_
#define HALLMARK_SIGNER_SIGNER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/public_key.h"

namespace hallmark::signer {

class Signer {
 public:
  virtual ~Signer() = default;

  // Sign: the signature over `payload` (ASN.1 DER for ECDSA). kInternal only if the crypto
  // library fails.
  virtual absl::StatusOr<std::string> Sign(absl::string_view payload) const = 0;

  // SignDsse: the serialised one-signature DSSE envelope over (payload_type, payload).
  // kInternal only if the crypto library fails.
  virtual absl::StatusOr<std::string> SignDsse(absl::string_view payload_type,
                                               absl::string_view payload) const = 0;

  // public_key: the key signatures verify with (storage uses it to recognise its own layers).
  virtual const crypto::PublicKey& public_key() const = 0;

  // Describe: for logs and Events, e.g. "ecdsa-p256 key SHA256:Qm9v... from cosign.key". Never
  // key material.
  virtual std::string Describe() const = 0;
};

}  // namespace hallmark::signer

#endif  // HALLMARK_SIGNER_SIGNER_H_
