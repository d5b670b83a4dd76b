#include "storage/oci_backend.h"

#include <cstdlib>
#include <functional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/encoding.h"
#include "base/status_macros.h"
#include "crypto/dsse.h"
#include "oci/content_digest.h"
#include "oci/manifest.h"
#include "oci/media_types.h"
#include "storage/cosign_layout.h"

namespace hallmark::storage {
namespace {

// Envelopes over the same statement with the same key differ only in the signature, whose
// base64 length varies by a few bytes (ECDSA DER is 70-72 bytes): only existing envelopes of
// about the new one's size can be duplicates, so only those are fetched.
constexpr int64_t kEnvelopeSizeSlack = 16;

bool SameAnnotationsExceptSignature(const oci::Descriptor& existing, const oci::Descriptor& added) {
  for (const auto& [key, value] : added.annotations) {
    if (key == oci::kCosignSignatureAnnotation) continue;
    if (existing.Annotation(key) != value) return false;
  }
  return true;
}

bool IsRegistryContentError(const absl::Status& s) {
  return s.code() == absl::StatusCode::kFailedPrecondition ||
         s.code() == absl::StatusCode::kNotFound || s.code() == absl::StatusCode::kInvalidArgument;
}

}  // namespace

absl::StatusOr<std::unique_ptr<OciBackend>> OciBackend::New(oci::RegistryClient& client,
                                                            OciBackendOptions options) {
  if (options.max_known_blobs == 0) {
    return absl::InvalidArgumentError("oci storage: max_known_blobs must be positive");
  }
  return std::unique_ptr<OciBackend>(new OciBackend(client, std::move(options)));
}

absl::Mutex* OciBackend::TagLock(const std::string& repository_and_tag) {
  return &tag_locks_[std::hash<std::string>{}(repository_and_tag) % tag_locks_.size()];
}

bool OciBackend::KnownBlob(const oci::Repository& repo, const oci::Digest& digest) {
  absl::MutexLock lock(&mu_);
  auto it = known_blobs_.find(repo.String());
  return it != known_blobs_.end() && it->second.count(digest.String()) > 0;
}

void OciBackend::RememberBlob(const oci::Repository& repo, const oci::Digest& digest) {
  absl::MutexLock lock(&mu_);
  std::set<std::string>& known = known_blobs_[repo.String()];
  if (known.size() >= options_.max_known_blobs) known.clear();
  known.insert(digest.String());
}

void OciBackend::ForgetBlobs(const oci::Repository& repo) {
  absl::MutexLock lock(&mu_);
  known_blobs_.erase(repo.String());
}

absl::Status OciBackend::EnsureBlob(const oci::Repository& repo, const oci::Digest& digest,
                                    absl::string_view bytes) {
  if (KnownBlob(repo, digest)) return absl::OkStatus();
  HM_RETURN_IF_ERROR(client_.UploadBlob(repo, digest, bytes));
  RememberBlob(repo, digest);
  return absl::OkStatus();
}

absl::StatusOr<bool> OciBackend::IsDuplicate(const SignedArtifact& artifact,
                                             const oci::Repository& repo,
                                             const oci::ImageManifest& existing,
                                             const oci::Descriptor& layer) {
  const bool signature = artifact.kind == SignedArtifact::Kind::kImageSignature;
  for (const oci::Descriptor& old : existing.layers) {
    if (old.media_type != layer.media_type || !SameAnnotationsExceptSignature(old, layer)) {
      continue;
    }
    if (signature) {
      if (old.digest != layer.digest) continue;
      std::optional<std::string> b64 = old.Annotation(oci::kCosignSignatureAnnotation);
      if (!b64.has_value() || b64->empty()) continue;
      if (!artifact.signer.has_value()) {
        if (*b64 == layer.Annotation(oci::kCosignSignatureAnnotation)) return true;
        continue;
      }
      absl::StatusOr<std::string> old_signature = Base64Decode(*b64);
      if (old_signature.ok() && artifact.signer->Verify(artifact.payload, *old_signature).ok()) {
        return true;
      }
      continue;
    }
    // Attestations: the same envelope, or one over the same statement signed by our key.
    if (old.digest == layer.digest) return true;
    if (!artifact.signer.has_value() || std::llabs(old.size - layer.size) > kEnvelopeSizeSlack ||
        old.size > static_cast<int64_t>(oci::kMaxAttachmentBytes)) {
      continue;
    }
    absl::StatusOr<std::string> blob =
        client_.GetBlob(repo, old.digest, old.size, oci::Access::kPush);
    if (!blob.ok()) {
      if (IsRegistryContentError(blob.status())) continue;  // a broken layer is not ours
      return blob.status();
    }
    absl::StatusOr<crypto::DsseEnvelope> envelope = crypto::DsseEnvelope::Parse(*blob);
    if (!envelope.ok() || envelope->payload_type != crypto::kInTotoPayloadType ||
        envelope->payload != artifact.payload) {
      continue;
    }
    if (crypto::VerifyDsseEnvelope(*envelope, {*artifact.signer}).ok()) return true;
  }
  return false;
}

absl::Status OciBackend::CheckImage(const oci::Reference& image) {
  if (!image.has_digest() || !oci::IsValidImageDigest(image.digest()->String())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "checking an image: it must be pinned by a sha256 digest (got ", image.String(), ")"));
  }
  const oci::Repository own = oci::Repository::Of(image);
  const oci::Access access = !options_.repository.has_value() || *options_.repository == own
                                 ? oci::Access::kPush
                                 : oci::Access::kPull;
  const std::string not_signing =
      absl::StrCat("image ", image.String(), " : digest not found in the registry; not signing");
  absl::StatusOr<oci::Descriptor> head = client_.Head(image, access);
  // What the registry said, without the client's "checking manifest <ref>: " (named already).
  auto said = [&] {
    absl::string_view m = head.status().message();
    absl::ConsumePrefix(&m, absl::StrCat("checking manifest ", image.String(), ": "));
    return std::string(m);
  };
  if (head.ok()) {
    // Head refuses a Docker-Content-Digest other than the one asked for; checked again here
    // because this decision must not rest on that detail.
    if (head->digest != *image.digest()) {
      return absl::NotFoundError(
          absl::StrCat(not_signing, " (the registry answers with ", head->digest.String(), ")"));
    }
    return absl::OkStatus();
  }
  if (absl::IsNotFound(head.status())) {
    return absl::NotFoundError(absl::StrCat(not_signing, " (", said(), ")"));
  }
  // The registry answered for this digest with another one (its Docker-Content-Digest, or other
  // bytes on the GET Head falls back to): it does not have the image we were told about.
  // oci::RegistryClient reports both as kFailedPrecondition with these texts.
  if (absl::IsFailedPrecondition(head.status()) &&
      (absl::StrContains(head.status().message(), "registry claims digest") ||
       absl::StrContains(head.status().message(), "content does not match digest"))) {
    return absl::NotFoundError(absl::StrCat(not_signing, " (", said(), ")"));
  }
  return absl::Status(head.status().code(), absl::StrCat("checking image ", image.String(),
                                                         " in its registry: ", said()));
}

absl::StatusOr<StoreResult> OciBackend::Store(const SignedArtifact& artifact) {
  const bool signature = artifact.kind == SignedArtifact::Kind::kImageSignature;
  const char* what = signature ? "storing an image signature" : "storing an attestation";
  if (!artifact.image.has_value() || !artifact.image->has_digest() ||
      !oci::IsValidImageDigest(artifact.image->digest()->String())) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": the image must be pinned by a sha256 digest (got ",
                     artifact.image.has_value() ? artifact.image->String() : "none", ")"));
  }
  if (artifact.payload.empty() || artifact.signature.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": empty payload or signature"));
  }
  const oci::Digest& image_digest = *artifact.image->digest();
  const oci::Repository repo =
      options_.repository.has_value() ? *options_.repository : oci::Repository::Of(*artifact.image);
  const std::string tag =
      signature ? oci::SignatureTag(image_digest) : oci::AttestationTag(image_digest);
  const std::string where = absl::StrCat(repo.String(), ":", tag);

  // The layer and its blob.
  std::string blob;
  oci::Descriptor layer = SignatureLayer("", "");
  if (signature) {
    blob = artifact.payload;
    layer =
        SignatureLayer(artifact.payload, artifact.signature, artifact.certificate, artifact.chain);
  } else {
    if (artifact.predicate_type.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": no predicate type"));
    }
    absl::StatusOr<crypto::DsseEnvelope> envelope = crypto::DsseEnvelope::Parse(artifact.signature);
    if (!envelope.ok() || envelope->payload != artifact.payload) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": the signature is not a DSSE envelope over the payload"));
    }
    blob = artifact.signature;
    layer = AttestationLayer(artifact.signature, artifact.predicate_type, artifact.certificate,
                             artifact.chain);
  }

  HM_ASSIGN_OR_RETURN(oci::Reference tag_ref, oci::Reference::Parse(where));
  absl::MutexLock tag_lock(TagLock(where));

  // Read: what the tag holds now (404: nothing yet). Push access: one token for the whole push.
  std::optional<oci::ImageManifest> existing;
  absl::StatusOr<oci::FetchedManifest> fetched = client_.GetManifest(tag_ref, oci::Access::kPush);
  if (fetched.ok()) {
    absl::StatusOr<oci::ImageManifest> parsed = oci::ImageManifest::Parse(fetched->bytes);
    if (!parsed.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(what, ": ", where, " holds something else: ", parsed.status().message()));
    }
    existing = *std::move(parsed);
  } else if (!absl::IsNotFound(fetched.status())) {
    return fetched.status();
  }

  std::vector<oci::Descriptor> layers;
  if (existing.has_value()) {
    HM_ASSIGN_OR_RETURN(bool duplicate, IsDuplicate(artifact, repo, *existing, layer));
    if (duplicate) return StoreResult{false, {}};
    if (existing->layers.size() >= oci::kMaxLayers) {
      return absl::FailedPreconditionError(absl::StrCat(what, ": ", where, " already has ",
                                                        existing->layers.size(),
                                                        " layers, the most cosign reads"));
    }
    // Everything a pushed manifest references is in the repository.
    for (const oci::Descriptor& d : existing->layers) RememberBlob(repo, d.digest);
    RememberBlob(repo, existing->config.digest);
    layers = existing->layers;
  }
  layers.push_back(layer);

  const std::string config =
      options_.config == ConfigMode::kCosign ? CosignConfig(layers) : ConstantConfig();
  const std::string manifest = AttachmentManifest(layers, config).Serialize();
  auto push = [&]() -> absl::Status {
    HM_RETURN_IF_ERROR(EnsureBlob(repo, layer.digest, blob));
    HM_RETURN_IF_ERROR(EnsureBlob(repo, oci::Sha256Of(config), config));
    return client_.PutManifest(repo, tag, manifest, oci::kOciManifestMediaType).status();
  };
  absl::Status pushed = push();
  if (pushed.code() == absl::StatusCode::kInvalidArgument &&
      absl::StrContains(pushed.message(), "BLOB_UNKNOWN")) {
    // A blob we remembered is gone (registry garbage collection): upload again.
    ForgetBlobs(repo);
    pushed = push();
  }
  HM_RETURN_IF_ERROR(pushed);
  return StoreResult{true, {}};
}

}  // namespace hallmark::storage
