// File: storage/backend.h
//
// Backend: the role "store a signed artifact" (an image signature or an attestation) produced
// for a run, as Tekton Chains' storage backends do (reference/chains.md §5). Backends are built
// once per configuration (`artifacts.*.storage` of chains-config) and are thread-safe; the agent
// first calls CheckImage for each image an artifact of the run is about (on the backend that
// artifact goes to), then - only if every check passed - Store for each artifact and each
// configured backend, and marks the run signed only when every Store succeeded.
//
//   HM_RETURN_IF_ERROR(backend.CheckImage(*a.image));   // before anything of the run is stored
//   SignedArtifact a;
//   a.kind = SignedArtifact::Kind::kImageSignature;
//   a.image = *oci::Reference::Parse("registry.example/app@sha256:...");
//   a.payload = simple_signing_payload;  a.signature = der_signature;
//   a.key = ImageKey(*a.image->digest());  a.signer = key.public_key();
//   HM_ASSIGN_OR_RETURN(StoreResult r, backend.Store(a));
//   annotations.insert(r.run_annotations.begin(), r.run_annotations.end());
#ifndef HALLMARK_STORAGE_BACKEND_H_
#define HALLMARK_STORAGE_BACKEND_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/public_key.h"
#include "oci/reference.h"

namespace hallmark::storage {

struct SignedArtifact {
  enum class Kind {
    kImageSignature,  // cosign simple signing: payload = the payload JSON, signature = raw bytes
    kAttestation,     // in-toto: payload = the Statement, signature = the DSSE envelope JSON
  };
  Kind kind = Kind::kImageSignature;
  // The image the artifact is about, pinned by a sha256 digest. Required by the OCI backend (it
  // decides where `.sig` / `.att` go); the Tekton backend ignores it.
  std::optional<oci::Reference> image;
  std::string payload;
  std::string signature;
  std::string certificate;  // PEM leaf certificate, "" when signed with a key
  std::string chain;        // PEM chain, ""
  // Attestations: the Statement's predicateType (the `.att` layer annotation).
  std::string predicate_type;
  // Tekton annotation key: "taskrun-<uid>", "pipelinerun-<uid>", or the first 12 hex digits of
  // an image digest (see TaskRunKey/PipelineRunKey/ImageKey in storage/tekton_backend.h).
  std::string key;
  // The signer's public key. The OCI backend uses it to recognise its own earlier signatures
  // (cosign's dedupe rule), which makes re-signing after a crash add nothing. Without it only
  // byte-identical layers count as duplicates.
  std::optional<crypto::PublicKey> signer;
};

struct StoreResult {
  // False when the backend already held an equivalent artifact (nothing was written).
  bool stored = true;
  // Annotations to set on the run (Tekton backend; `chains.tekton.dev/...`).
  std::map<std::string, std::string> run_annotations;
};

class Backend {
 public:
  virtual ~Backend() = default;
  // Name: the chains-config storage name ("oci", "tekton").
  virtual absl::string_view Name() const = 0;
  // CheckImage: may artifacts about `image` be stored here? Asked once per image per signing,
  // before any artifact of the run is stored, so that a run is stored all or nothing. OK: go
  // ahead. kNotFound: the backend would attach the artifacts to the image in its registry and
  // that registry has no manifest with the image's digest, or answers for it with another digest
  // (tektoncd/chains#485: a Task may claim a digest that was never pushed); nothing may be
  // stored, and since a registry can lag just behind a push, the caller retries with backoff.
  // kInvalidArgument when the image is not pinned by a sha256 digest; other errors as Store
  // (kUnavailable: the registry could not be asked). A backend that attaches nothing to
  // registries answers OK without a request.
  virtual absl::Status CheckImage(const oci::Reference& image) = 0;
  // Store: OK when the artifact is stored (or already was). Errors carry the retry decision:
  // kUnavailable / kDeadlineExceeded (registry down, 5xx, timeouts: retry later),
  // kInvalidArgument (the artifact is malformed), kFailedPrecondition (configuration or a
  // registry that will not take it: do not retry until fixed), kUnauthenticated /
  // kPermissionDenied (credentials).
  virtual absl::StatusOr<StoreResult> Store(const SignedArtifact& artifact) = 0;
};

}  // namespace hallmark::storage

#endif  // HALLMARK_STORAGE_BACKEND_H_
