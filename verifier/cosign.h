// File: verifier/cosign.h
//
// cosign-compatible verification of image signatures (`.sig`) and attestations (`.att`) with
// trusted public keys - the logic of `cosign verify --key K --insecure-ignore-tlog` and
// `cosign verify-attestation` (shared/reference/cosign-kyverno.md §2-4, §6), as pure functions:
// attachment layers (already fetched and hash-checked, see verifier/attachments.h), keys and
// options in; the verified payloads out, or cosign's error. No I/O, no clock.
//
//   HM_ASSIGN_OR_RETURN(std::vector<VerifiedSignature> ok,
//                       VerifyImageSignatures(layers, {key}, image_digest, options));
//
// Per-layer checks, in cosign's order (a layer passes only if all pass):
//   signatures: the `dev.cosignproject.cosign/signature` annotation is present, is standard
//     base64, and verifies over the layer bytes with one of the keys; the payload's
//     `critical.image.docker-manifest-digest` equals the image digest; every wanted annotation
//     is in `optional` with the same string value. Media type and docker-reference are NOT
//     checked (cosign doesn't), so a signature stays valid for a copied image.
//   attestations: the signature annotation is present (cosign writes it empty and refuses layers
//     without it); the layer is a DSSE envelope with payloadType `application/vnd.in-toto+json`;
//     one signature verifies over the PAE with one of the keys (threshold 1); the payload is an
//     in-toto Statement (`_type` v0.1 or v1: stricter than cosign, see GHSA-w6c6-c85g-mmv6)
//     with a subject whose `digest.sha256` is the image digest.
// Transparency-log material (`dev.sigstore.cosign/bundle`, RFC 3161 timestamps) and
// certificates are IGNORED: Hallmark has no Rekor support, so verification is what cosign does
// with `--insecure-ignore-tlog` and a key. In particular a bundle copied onto another layer
// (CVE-2022-23649) gives that layer nothing: its signature must verify by itself.
//
// Results for the Kyverno policy engine: call VerifyImageSignatures / VerifyImageAttestations
// once per attestor entry (one key); on failure the Status message is exactly the cosign error
// Kyverno prints after `.attestors[i].entries[j].keys: `, and FailureOf() says which one.
#ifndef HALLMARK_VERIFIER_COSIGN_H_
#define HALLMARK_VERIFIER_COSIGN_H_

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "crypto/key_type.h"
#include "crypto/public_key.h"
#include "crypto/simple_signing.h"
#include "oci/manifest.h"
#include "oci/reference.h"

namespace hallmark::verifier {

// One layer of a `.sig` or `.att` manifest with its blob. `fetch_error` is set instead of `blob`
// when the fetch layer could not get trustworthy bytes for it (oversized, digest mismatch):
// cosign reports such a layer's error and goes on with the others.
struct AttachmentLayer {
  oci::Descriptor descriptor;
  std::string blob;
  absl::Status fetch_error;
};

struct CheckOptions {
  // cosign `-a key=value`: each must be in the payload's `optional` (signatures only).
  std::map<std::string, std::string> annotations;
  // Digest for ECDSA/RSA verification (cosign --signature-digest-algorithm, Kyverno
  // signatureAlgorithm).
  crypto::HashAlgorithm hash = crypto::kDefaultHash;
  // Bounds (cosign's): layers per manifest, bytes per layer.
  size_t max_layers = oci::kMaxLayers;
  size_t max_layer_bytes = oci::kMaxAttachmentBytes;
};

struct VerifiedSignature {
  std::string payload;  // the exact signed bytes (the layer blob)
  crypto::SimpleSigningPayload claims;
  oci::Digest layer_digest;
  size_t key_index = 0;  // which key verified it
};

struct VerifiedAttestation {
  std::string envelope;        // the layer blob: the DSSE envelope JSON, as cosign prints it
  std::string statement;       // the verified payload bytes (an in-toto Statement)
  std::string predicate_type;  // the Statement's predicateType
  oci::Digest layer_digest;
  size_t key_index = 0;
};

// Which cosign failure a Status is (the CLI maps them to exit codes 10, 11, 12).
enum class Failure {
  kNone,                    // OK status
  kOther,                   // anything else (exit 1)
  kImageNotFound,           // `image tag not found: ...`           (exit 11)
  kNoSignatures,            // `no signatures found`                (exit 10)
  kNoMatchingSignatures,    // `no matching signatures: ...`        (exit 12)
  kNoMatchingAttestations,  // `no matching attestations: ...`      (exit 1)
  kNoMatchingPredicate,     // `none of the attestations matched the predicate type: ...` (exit 1)
};
Failure FailureOf(const absl::Status& status);
// WithFailure: `status` tagged as `failure` (used by this package and the fetch layer).
absl::Status WithFailure(absl::Status status, Failure failure);

// VerifySignatureLayer: one `.sig` layer. The error message is cosign's for that layer, e.g.
// `invalid signature when validating ASN.1 encoded signature`,
// `invalid or missing digest in claim: sha256:...`, `missing or incorrect annotation`,
// `signature layer sha256:... is missing "dev.cosignproject.cosign/signature" annotation`,
// `illegal base64 data at input byte N`, `size of layer (N) exceeded the limit (M)`.
absl::StatusOr<VerifiedSignature> VerifySignatureLayer(const AttachmentLayer& layer,
                                                       absl::Span<const crypto::PublicKey> keys,
                                                       const oci::Digest& image_digest,
                                                       const CheckOptions& options = {});

// VerifyImageSignatures: every layer; the verified ones in layer order. Errors:
//   `no signatures found` (kNotFound, Failure::kNoSignatures) for no layers;
//   `number of layers (N) exceeded the limit (M)` (kFailedPrecondition) before any work;
//   `no matching signatures: <per-layer errors joined by "\n ">` (kPermissionDenied,
//   Failure::kNoMatchingSignatures) when none passes;
//   kInvalidArgument `no trusted keys` for an empty key list.
absl::StatusOr<std::vector<VerifiedSignature>> VerifyImageSignatures(
    absl::Span<const AttachmentLayer> layers, absl::Span<const crypto::PublicKey> keys,
    const oci::Digest& image_digest, const CheckOptions& options = {});

// VerifyAttestationLayer: one `.att` layer; errors such as
// `invalid payloadType <pt> on envelope. Expected application/vnd.in-toto+json`,
// `accepted signatures do not match threshold, Found: 0, Expected 1`,
// `no matching subject digest found`.
absl::StatusOr<VerifiedAttestation> VerifyAttestationLayer(const AttachmentLayer& layer,
                                                           absl::Span<const crypto::PublicKey> keys,
                                                           const oci::Digest& image_digest,
                                                           const CheckOptions& options = {});

// VerifyImageAttestations: every layer; `no matching attestations: <errors joined by "\n ">`
// (kPermissionDenied, Failure::kNoMatchingAttestations) when none passes - also for zero layers,
// where nothing follows the colon, as in cosign. Layer limit as for signatures.
absl::StatusOr<std::vector<VerifiedAttestation>> VerifyImageAttestations(
    absl::Span<const AttachmentLayer> layers, absl::Span<const crypto::PublicKey> keys,
    const oci::Digest& image_digest, const CheckOptions& options = {});

// FilterByPredicateType: cosign verify-attestation's `--type` filter (CVE-2022-35929: an
// attestation of another type never satisfies it): the attestations whose predicateType equals
// `predicate_uri` exactly. None: kPermissionDenied (Failure::kNoMatchingPredicate)
// `none of the attestations matched the predicate type: <as_typed>, found: <types joined by ",">`
// (no space, as cosign prints it).
absl::StatusOr<std::vector<VerifiedAttestation>> FilterByPredicateType(
    std::vector<VerifiedAttestation> verified, absl::string_view predicate_uri,
    absl::string_view as_typed);

// CosignVerifyOutput: what `cosign verify` prints on stdout for verified signatures: one compact
// JSON array of the payloads re-marshalled as {"critical":{"identity":{"docker-reference":..},
// "image":{"docker-manifest-digest":..},"type":..},"optional":..} (optional null when absent),
// without the surrounding newlines.
std::string CosignVerifyOutput(const std::vector<VerifiedSignature>& verified);

}  // namespace hallmark::verifier

#endif  // HALLMARK_VERIFIER_COSIGN_H_
