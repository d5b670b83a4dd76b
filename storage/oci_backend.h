// File: storage/oci_backend.h
//
// OciBackend: stores signatures and attestations in the image's registry in cosign's legacy tag
// layout (storage/cosign_layout.h): `<repo>:sha256-<hex>.sig` and `.att`, where <repo> is the
// image's repository or `storage.oci.repository`. What Chains' `oci` storage does in its default
// (`dsse`) mode, with these differences, all deliberate (DESIGN.md "better than Chains"):
//
//  - Idempotent: a layer is not added when an equivalent one is there - cosign's dedupe rule:
//    same payload digest and media type, the other annotations equal, and the existing signature
//    verifies over the payload with the signer's key (attestations: an existing envelope over the
//    same statement signed by the signer's key). ECDSA signatures are randomised, so this is what
//    makes re-signing after a crash add nothing. Without `signer`, only identical layers count.
//  - No lost layers between threads: pushes to one tag (`.sig` or `.att` of one image) are
//    serialised in-process, so the read-modify-write of a tag cannot drop a concurrent layer.
//    Different images' tags are pushed in parallel, also within one repository (a fixed set of
//    64 mutexes picked by a hash of repository and tag: bounded memory, and two tags only
//    rarely share one). (Another process writing the same tag still races, as with cosign:
//    registries have no conditional PUT.)
//  - Never for a digest the registry does not have (tektoncd/chains#485, where Chains signs
//    whatever digest a Task claims): CheckImage asks the image's own repository, with one HEAD
//    of the manifest by digest, before the agent stores anything of the run.
//  - Few round trips: one GET of the tag (404 = empty; read with push access so one token covers
//    the push), POST+PUT of the payload blob unless the repository is known to have it, the
//    config blob likewise, one manifest PUT. Blobs known to exist are remembered per repository
//    (bounded); if the registry lost one (garbage collection), the push is redone with uploads.
//
// The config blob is go-containerregistry's (ConfigMode::kCosign, the default: byte-identical to
// what cosign pushes), or one constant blob per repository (kConstant: saves two requests per
// push, see docs/benchmarks.md; verifiers never read it).
//
// Thread-safe. The RegistryClient must outlive the backend.
#ifndef HALLMARK_STORAGE_OCI_BACKEND_H_
#define HALLMARK_STORAGE_OCI_BACKEND_H_

#include <array>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "oci/registry_client.h"
#include "storage/backend.h"

namespace hallmark::storage {

enum class ConfigMode { kCosign, kConstant };

struct OciBackendOptions {
  // storage.oci.repository: where `.sig` / `.att` go instead of the image's repository.
  std::optional<oci::Repository> repository;
  ConfigMode config = ConfigMode::kCosign;
  // Most blob digests remembered per repository (the set is cleared when full).
  size_t max_known_blobs = 4096;
};

class OciBackend final : public Backend {
 public:
  // New: kInvalidArgument for max_known_blobs == 0. `client` is borrowed.
  static absl::StatusOr<std::unique_ptr<OciBackend>> New(oci::RegistryClient& client,
                                                         OciBackendOptions options = {});

  absl::string_view Name() const override { return "oci"; }

  // CheckImage: one HEAD `/v2/<repository>/manifests/<digest>` (the OCI and Docker manifest and
  // index Accept types) to the image's own repository - never `storage.oci.repository` - with
  // the keychain's credentials for the image's registry; push scope when the `.sig`/`.att` go to
  // that same repository (one token then covers the push that follows), pull scope otherwise.
  // kNotFound `image <ref> : digest not found in the registry; not signing` for a 404 (e.g.
  // MANIFEST_UNKNOWN, NAME_UNKNOWN), and likewise when the registry answers for the digest with
  // another one (Docker-Content-Digest, or the bytes of the GET made when that header is
  // missing); kInvalidArgument for an image not pinned by a sha256 digest; other registry errors
  // as oci::RegistryClient (kUnavailable when it cannot be reached).
  absl::Status CheckImage(const oci::Reference& image) override;

  // Store appends the artifact's layer to the image's `.sig` (image signatures) or `.att`
  // (attestations) tag. `stored` is false when an equivalent layer was already there.
  // kInvalidArgument when the image is missing or not pinned by a sha256 digest, the payload or
  // signature is empty, an attestation has no predicate type or its envelope is not DSSE JSON
  // over `payload`; kFailedPrecondition when the tag is not an image manifest or already holds
  // the maximum of 1000 layers; registry errors as oci::RegistryClient.
  absl::StatusOr<StoreResult> Store(const SignedArtifact& artifact) override;

 private:
  OciBackend(oci::RegistryClient& client, OciBackendOptions options)
      : client_(client), options_(std::move(options)) {}

  absl::Mutex* TagLock(const std::string& repository_and_tag);
  bool KnownBlob(const oci::Repository& repo, const oci::Digest& digest);
  void RememberBlob(const oci::Repository& repo, const oci::Digest& digest);
  void ForgetBlobs(const oci::Repository& repo);
  absl::StatusOr<bool> IsDuplicate(const SignedArtifact& artifact, const oci::Repository& repo,
                                   const oci::ImageManifest& existing,
                                   const oci::Descriptor& layer);
  absl::Status EnsureBlob(const oci::Repository& repo, const oci::Digest& digest,
                          absl::string_view bytes);

  oci::RegistryClient& client_;
  const OciBackendOptions options_;

  absl::Mutex mu_;
  std::array<absl::Mutex, 64> tag_locks_;
  std::map<std::string, std::set<std::string>> known_blobs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hallmark::storage

#endif  // HALLMARK_STORAGE_OCI_BACKEND_H_
