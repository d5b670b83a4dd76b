// File: verifier/policy/image_info.h
//
// ImageInfo: an image as Kyverno sees it before glob matching (pkg/utils/image GetImageInfo):
// the default registry `docker.io` is prepended when the first path element has no `.` or `:`,
// is not `localhost` and is lower case — WITHOUT go-containerregistry's `library/` — and the
// reference is then parsed by the distribution grammar. String():
//   - with a digest: `registry/path@sha256:...` (a tag, if any, is DROPPED);
//   - otherwise:     `registry/path:tag`, tag `latest` when none was given.
//
//   nginx                       -> docker.io/nginx:latest
//   nginx:1.2@sha256:<hex>      -> docker.io/nginx@sha256:<hex>
//   localhost:5000/demo         -> localhost:5000/demo:latest
//
// This is NOT oci::Reference's normalisation (index.docker.io/library/nginx, what cosign signs
// and registries are asked for); Reference() converts for fetching.
#ifndef HALLMARK_VERIFIER_POLICY_IMAGE_INFO_H_
#define HALLMARK_VERIFIER_POLICY_IMAGE_INFO_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "oci/reference.h"

namespace hallmark::verifier::policy {

inline constexpr absl::string_view kKyvernoDefaultRegistry = "docker.io";

struct ImageInfo {
  std::string registry;  // "docker.io", "127.0.0.1:5000"
  std::string path;      // "nginx", "test/chains/demo-1"
  std::string name;      // last path element: "demo-1"
  std::string tag;       // "latest" when neither tag nor digest was given; "" with a digest only
  std::string digest;    // "sha256:<hex>" or ""
  // JSON pointer of the field the image came from ("/spec/containers/0/image"); "" if unknown.
  std::string pointer;

  // Parse: kInvalidArgument (quoting the image) for anything the distribution grammar refuses
  // (upper case in the repository, spaces, two `@`, a bad digest, ...).
  static absl::StatusOr<ImageInfo> Parse(absl::string_view image);

  // String: as described above; what imageReferences globs and the annotation keys see.
  std::string String() const;
  // WithTag: `registry/path:tag` even when a digest is present ("" tag: "latest"): the left part
  // of a digest patch (`registry/path:tag@sha256:...`).
  std::string ReferenceWithTag() const;
  // Reference: the oci::Reference to fetch (go-containerregistry normalisation).
  absl::StatusOr<oci::Reference> Reference() const;
};

}  // namespace hallmark::verifier::policy

#endif  // HALLMARK_VERIFIER_POLICY_IMAGE_INFO_H_
