// File: storage/tekton_backend.h
//
// TektonBackend: Chains' `tekton` storage (reference/chains.md §2, §5): the signed payload and
// its signature as annotations on the run itself. This backend only computes the annotation set;
// the agent's Kubernetes client applies it (in the same patch as `chains.tekton.dev/signed`).
//
//   chains.tekton.dev/payload-<key>    base64(payload)           (std alphabet, padded)
//   chains.tekton.dev/signature-<key>  base64(signature)         (attestations: the DSSE envelope)
//   chains.tekton.dev/cert-<key>       base64(PEM certificate) or ""
//   chains.tekton.dev/chain-<key>      base64(PEM chain) or ""
// with <key> = `taskrun-<uid>` (TaskRun provenance), `pipelinerun-<uid>` (PipelineRun
// provenance) or the first 12 hex digits of the image digest (image signatures).
#ifndef HALLMARK_STORAGE_TEKTON_BACKEND_H_
#define HALLMARK_STORAGE_TEKTON_BACKEND_H_

#include <cstddef>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "oci/reference.h"
#include "storage/backend.h"

namespace hallmark::storage {

inline constexpr absl::string_view kChainsAnnotationPrefix = "chains.tekton.dev/";
// Kubernetes limits the total size of an object's annotations (keys + values) to 256 KiB.
inline constexpr size_t kMaxAnnotationBytes = 256 * 1024;

// The annotation keys Chains uses.
std::string TaskRunKey(absl::string_view uid);      // "taskrun-<uid>"
std::string PipelineRunKey(absl::string_view uid);  // "pipelinerun-<uid>"
std::string ImageKey(const oci::Digest& digest);    // first 12 hex digits

// TektonAnnotations: the four annotations for `artifact`. kInvalidArgument if `artifact.key` is
// not one of the key forms above (a Kubernetes annotation name must result) or the payload or
// signature is empty; kFailedPrecondition if the four together exceed kMaxAnnotationBytes (the
// API server would refuse the patch; Chains would retry forever).
absl::StatusOr<std::map<std::string, std::string>> TektonAnnotations(
    const SignedArtifact& artifact);

class TektonBackend final : public Backend {
 public:
  static absl::StatusOr<std::unique_ptr<TektonBackend>> New();
  absl::string_view Name() const override { return "tekton"; }
  // CheckImage: OK without a request. Annotations stay on the run and attach nothing to a
  // registry, and an agent storing only here needs no registry access (as Chains);
  // docs/compatibility.md says why a `tekton`-only configuration is not checked.
  absl::Status CheckImage(const oci::Reference& image) override { return absl::OkStatus(); }
  // Store returns TektonAnnotations(artifact) as `run_annotations`; nothing is written here.
  absl::StatusOr<StoreResult> Store(const SignedArtifact& artifact) override;

 private:
  TektonBackend() = default;
};

}  // namespace hallmark::storage

#endif  // HALLMARK_STORAGE_TEKTON_BACKEND_H_
