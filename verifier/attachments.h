// File: verifier/attachments.h
//
// The fetch layer of verification: gets the `.sig` / `.att` attachments of an image from its
// registry with cosign's bounds, for the pure checks in verifier/cosign.h. Kept apart so that
// verification itself does no I/O (STYLE.md rule 6) and so the Kyverno engine can fetch once
// and verify per attestor entry.
//
//   HM_ASSIGN_OR_RETURN(oci::Digest digest, ResolveImageDigest(client, image));
//   HM_ASSIGN_OR_RETURN(std::vector<AttachmentLayer> layers,
//                       FetchAttachments(client, image, digest, AttachmentKind::kSignatures));
//   for (const crypto::PublicKey& key : entry_keys) VerifyImageSignatures(layers, {key}, digest);
//
// Bounds and trust: the image is resolved ONCE (a tag costs one manifest GET whose bytes are
// hashed; a digest reference is used as is) and everything after uses that digest, so a registry
// that re-points a tag mid-way cannot make us verify one digest and report another
// (CVE-2022-47633, CVE-2023-47630). The attachment manifest must be an image manifest (an index
// is refused) with at most `max_layers` layers (checked before any layer is looked at); each
// layer is fetched only if its descriptor size is within `max_layer_bytes`, the read stops at that
// size, and the bytes are re-hashed against the layer digest.
#ifndef HALLMARK_VERIFIER_ATTACHMENTS_H_
#define HALLMARK_VERIFIER_ATTACHMENTS_H_

#include <cstddef>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "oci/manifest.h"
#include "oci/reference.h"
#include "oci/registry_client.h"
#include "verifier/cosign.h"

namespace hallmark::verifier {

enum class AttachmentKind {
  kSignatures,    // tag sha256-<hex>.sig
  kAttestations,  // tag sha256-<hex>.att
};

struct FetchOptions {
  // Where attachments live instead of the image's own repository (cosign's COSIGN_REPOSITORY,
  // Kyverno's `repository`, Chains' storage.oci.repository).
  std::optional<oci::Repository> repository;
  size_t max_layers = oci::kMaxLayers;
  size_t max_layer_bytes = oci::kMaxAttachmentBytes;
};

// ResolveImageDigest: the digest `image` names. Errors: an unknown tag or manifest gives
// kNotFound tagged Failure::kImageNotFound, `image tag not found: <registry error>` (cosign exit
// 11); others as RegistryClient::Resolve.
absl::StatusOr<oci::Digest> ResolveImageDigest(oci::RegistryClient& client,
                                               const oci::Reference& image);

// AttachmentReference: `<repository>:sha256-<hex>.sig|.att` for `digest`.
absl::StatusOr<oci::Reference> AttachmentReference(const oci::Reference& image,
                                                   const oci::Digest& digest, AttachmentKind kind,
                                                   const FetchOptions& options = {});

// FetchAttachments: the layers (descriptor + verified bytes) of the attachment manifest of
// `digest`. No such tag: an empty list (cosign: no signatures). Errors: transport and auth
// errors of the registry client (kUnavailable, kDeadlineExceeded, kUnauthenticated,
// kPermissionDenied: nothing can be said about the image); kFailedPrecondition for a manifest
// that is not an image manifest or has more than `max_layers` layers
// (`number of layers (N) exceeded the limit (M)`). A layer that is too large, missing or whose
// bytes do not match its digest does not fail the call: it comes back with `fetch_error` set, and
// verification reports it like cosign reports a bad layer.
absl::StatusOr<std::vector<AttachmentLayer>> FetchAttachments(oci::RegistryClient& client,
                                                              const oci::Reference& image,
                                                              const oci::Digest& digest,
                                                              AttachmentKind kind,
                                                              const FetchOptions& options = {});

}  // namespace hallmark::verifier

#endif  // HALLMARK_VERIFIER_ATTACHMENTS_H_
