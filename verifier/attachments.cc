#include "verifier/attachments.h"

#include <map>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "oci/media_types.h"

namespace hallmark::verifier {
namespace {

// Errors that say something about one layer's content rather than about reaching the registry.
bool IsContentError(const absl::Status& s) {
  return s.code() == absl::StatusCode::kFailedPrecondition ||
         s.code() == absl::StatusCode::kInvalidArgument ||
         s.code() == absl::StatusCode::kNotFound || s.code() == absl::StatusCode::kDataLoss;
}

}  // namespace

absl::StatusOr<oci::Digest> ResolveImageDigest(oci::RegistryClient& client,
                                               const oci::Reference& image) {
  absl::StatusOr<oci::Descriptor> d = client.Resolve(image);
  if (absl::IsNotFound(d.status())) {
    return WithFailure(
        absl::NotFoundError(absl::StrCat("image tag not found: ", d.status().message())),
        Failure::kImageNotFound);
  }
  if (!d.ok()) return d.status();
  return d->digest;
}

absl::StatusOr<oci::Reference> AttachmentReference(const oci::Reference& image,
                                                   const oci::Digest& digest, AttachmentKind kind,
                                                   const FetchOptions& options) {
  const oci::Repository repo =
      options.repository.has_value() ? *options.repository : oci::Repository::Of(image);
  const std::string tag =
      kind == AttachmentKind::kSignatures ? oci::SignatureTag(digest) : oci::AttestationTag(digest);
  return oci::Reference::Parse(absl::StrCat(repo.String(), ":", tag));
}

absl::StatusOr<std::vector<AttachmentLayer>> FetchAttachments(oci::RegistryClient& client,
                                                              const oci::Reference& image,
                                                              const oci::Digest& digest,
                                                              AttachmentKind kind,
                                                              const FetchOptions& options) {
  HM_ASSIGN_OR_RETURN(oci::Reference where, AttachmentReference(image, digest, kind, options));
  absl::StatusOr<oci::FetchedManifest> fetched = client.GetManifest(where);
  if (absl::IsNotFound(fetched.status())) return std::vector<AttachmentLayer>();
  if (!fetched.ok()) return fetched.status();
  absl::StatusOr<oci::ImageManifest> manifest =
      oci::ImageManifest::Parse(fetched->bytes, options.max_layers);
  if (!manifest.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(where.String(), ": ", manifest.status().message()));
  }
  const oci::Repository repo = oci::Repository::Of(where);
  std::vector<AttachmentLayer> layers;
  layers.reserve(manifest->layers.size());
  std::map<std::string, std::string> fetched_blobs;  // the same blob is read once
  for (oci::Descriptor& d : manifest->layers) {
    AttachmentLayer layer{std::move(d), "", absl::OkStatus()};
    const oci::Descriptor& desc = layer.descriptor;
    if (desc.size > static_cast<int64_t>(options.max_layer_bytes)) {
      layer.fetch_error = absl::FailedPreconditionError(absl::StrCat(
          "size of layer (", desc.size, ") exceeded the limit (", options.max_layer_bytes, ")"));
    } else if (auto it = fetched_blobs.find(desc.digest.String()); it != fetched_blobs.end()) {
      layer.blob = it->second;
    } else {
      absl::StatusOr<std::string> blob = client.GetBlob(repo, desc.digest, desc.size);
      if (blob.ok()) {
        layer.blob = *std::move(blob);
        fetched_blobs.emplace(desc.digest.String(), layer.blob);
      } else if (IsContentError(blob.status())) {
        layer.fetch_error = blob.status();
      } else {
        return blob.status();
      }
    }
    layers.push_back(std::move(layer));
  }
  return layers;
}

}  // namespace hallmark::verifier
