// File: verifier/verify_image.h
//
// The whole of `cosign verify` and `cosign verify-attestation` for one image reference, with a
// key and no transparency log: resolve once, fetch the attachments (verifier/attachments.h),
// verify them (verifier/cosign.h). The CLI verbs and the admission webhook call these.
//
//   VerifyImageOptions options;
//   options.check.annotations = {{"env", "prod"}};
//   HM_ASSIGN_OR_RETURN(ImageSignatures ok, VerifyImage(client, ref, keys, options));
//   std::cout << CosignVerifyOutput(ok.signatures);
#ifndef HALLMARK_VERIFIER_VERIFY_IMAGE_H_
#define HALLMARK_VERIFIER_VERIFY_IMAGE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "crypto/public_key.h"
#include "oci/reference.h"
#include "oci/registry_client.h"
#include "verifier/attachments.h"
#include "verifier/cosign.h"

namespace hallmark::verifier {

struct VerifyImageOptions {
  CheckOptions check;
  FetchOptions fetch;
};

struct ImageSignatures {
  oci::Digest digest;  // what the reference resolved to: the digest the signatures cover
  std::vector<VerifiedSignature> signatures;
};

struct ImageAttestations {
  oci::Digest digest;
  std::vector<VerifiedAttestation> attestations;
};

// VerifyImage: the verified signatures of `image`, or the error of ResolveImageDigest,
// FetchAttachments or VerifyImageSignatures (FailureOf() tells cosign's exit code).
absl::StatusOr<ImageSignatures> VerifyImage(oci::RegistryClient& client,
                                            const oci::Reference& image,
                                            absl::Span<const crypto::PublicKey> keys,
                                            const VerifyImageOptions& options = {});

// VerifyImageAttestationsOf: the verified attestations of `image` whose predicateType is
// `predicate_uri` (cosign --type, resolved with ResolvePredicateType; `as_typed` is the flag as
// the user wrote it, for the error text). Errors as VerifyImageAttestations and
// FilterByPredicateType.
absl::StatusOr<ImageAttestations> VerifyImageAttestationsOf(
    oci::RegistryClient& client, const oci::Reference& image,
    absl::Span<const crypto::PublicKey> keys, absl::string_view predicate_uri,
    absl::string_view as_typed, const VerifyImageOptions& options = {});

}  // namespace hallmark::verifier

#endif  // HALLMARK_VERIFIER_VERIFY_IMAGE_H_
