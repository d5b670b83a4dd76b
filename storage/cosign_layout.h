// File: storage/cosign_layout.h
//
// cosign's legacy tag layout for signatures and attestations (reference/cosign-kyverno.md §3-4),
// as pure functions, so tests can hold them against cosign-made bytes:
//   `.sig`: one layer per signature, media type application/vnd.dev.cosign.simplesigning.v1+json,
//           blob = the payload, annotation dev.cosignproject.cosign/signature = base64(signature);
//   `.att`: one layer per attestation, media type application/vnd.dsse.envelope.v1+json,
//           blob = the envelope, annotations predicateType and dev.cosignproject.cosign/signature
//           = "" (cosign always sets the key);
//   plus dev.sigstore.cosign/certificate and /chain when a certificate was used; an OCI image
//   manifest (OCI media types: containers/image refuses Docker ones) whose config is the blob
//   go-containerregistry writes (rootfs.diff_ids = the layer digests, one history entry per layer).
#ifndef HALLMARK_STORAGE_COSIGN_LAYOUT_H_
#define HALLMARK_STORAGE_COSIGN_LAYOUT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "oci/manifest.h"

namespace hallmark::storage {

// SignatureLayer: the `.sig` layer descriptor for `payload` signed with raw `signature`.
oci::Descriptor SignatureLayer(absl::string_view payload, absl::string_view signature,
                               absl::string_view certificate = "", absl::string_view chain = "");

// AttestationLayer: the `.att` layer descriptor for a DSSE `envelope`.
oci::Descriptor AttestationLayer(absl::string_view envelope, absl::string_view predicate_type,
                                 absl::string_view certificate = "", absl::string_view chain = "");

// CosignConfig: go-containerregistry's config blob for these layers, byte for byte:
// {"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"},...],
//  "os":"","rootfs":{"type":"layers","diff_ids":["sha256:..."]},"config":{}}
std::string CosignConfig(const std::vector<oci::Descriptor>& layers);

// ConstantConfig: a config blob that does not depend on the layers (so it is uploaded once per
// repository): {"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}}.
// Verifiers (cosign, Kyverno, containers/image) never read the config; go-containerregistry
// tools that compare diff_ids with layers (crane validate) would notice.
std::string ConstantConfig();

// AttachmentManifest: the OCI image manifest for `layers` with `config` as its config blob.
oci::ImageManifest AttachmentManifest(const std::vector<oci::Descriptor>& layers,
                                      absl::string_view config);

}  // namespace hallmark::storage

#endif  // HALLMARK_STORAGE_COSIGN_LAYOUT_H_
