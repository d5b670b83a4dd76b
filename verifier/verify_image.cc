#include "verifier/verify_image.h"

#include <utility>

#include "base/status_macros.h"

namespace hallmark::verifier {

absl::StatusOr<ImageSignatures> VerifyImage(oci::RegistryClient& client,
                                            const oci::Reference& image,
                                            absl::Span<const crypto::PublicKey> keys,
                                            const VerifyImageOptions& options) {
  HM_ASSIGN_OR_RETURN(oci::Digest digest, ResolveImageDigest(client, image));
  HM_ASSIGN_OR_RETURN(
      std::vector<AttachmentLayer> layers,
      FetchAttachments(client, image, digest, AttachmentKind::kSignatures, options.fetch));
  HM_ASSIGN_OR_RETURN(std::vector<VerifiedSignature> verified,
                      VerifyImageSignatures(layers, keys, digest, options.check));
  return ImageSignatures{std::move(digest), std::move(verified)};
}

absl::StatusOr<ImageAttestations> VerifyImageAttestationsOf(
    oci::RegistryClient& client, const oci::Reference& image,
    absl::Span<const crypto::PublicKey> keys, absl::string_view predicate_uri,
    absl::string_view as_typed, const VerifyImageOptions& options) {
  HM_ASSIGN_OR_RETURN(oci::Digest digest, ResolveImageDigest(client, image));
  HM_ASSIGN_OR_RETURN(
      std::vector<AttachmentLayer> layers,
      FetchAttachments(client, image, digest, AttachmentKind::kAttestations, options.fetch));
  HM_ASSIGN_OR_RETURN(std::vector<VerifiedAttestation> verified,
                      VerifyImageAttestations(layers, keys, digest, options.check));
  HM_ASSIGN_OR_RETURN(std::vector<VerifiedAttestation> kept,
                      FilterByPredicateType(std::move(verified), predicate_uri, as_typed));
  return ImageAttestations{std::move(digest), std::move(kept)};
}

}  // namespace hallmark::verifier
