#include "verifier/policy/testing/fake_sources.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "oci/manifest.h"

namespace hallmark::verifier::policy::testing {

void FakeImageSource::SetTag(const std::string& reference, std::vector<oci::Digest> digests) {
  absl::StatusOr<oci::Reference> ref = oci::Reference::Parse(reference);
  std::string key = ref.ok() ? ref->String() : reference;
  absl::MutexLock lock(&mu_);
  tags_[key] = std::move(digests);
  served_[key] = 0;
}

void FakeImageSource::SetLayers(const std::string& repository, const oci::Digest& digest,
                                AttachmentKind kind, std::vector<AttachmentLayer> layers) {
  absl::StatusOr<oci::Repository> repo = oci::Repository::Parse(repository);
  std::string key = absl::StrCat(repo.ok() ? repo->String() : repository, "@", digest.String(),
                                 kind == AttachmentKind::kSignatures ? ".sig" : ".att");
  absl::MutexLock lock(&mu_);
  layers_[key] = std::move(layers);
}

void FakeImageSource::FailAll(absl::Status status) {
  absl::MutexLock lock(&mu_);
  fail_ = std::move(status);
}

void FakeImageSource::SetDelay(absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  delay_ = delay;
}

absl::StatusOr<oci::Digest> FakeImageSource::Resolve(const oci::Reference& image,
                                                     const RegistryAccess& access) {
  ++resolves_;
  absl::Duration delay;
  {
    absl::MutexLock lock(&mu_);
    calls_.push_back("resolve " + image.String());
    delay = delay_;
  }
  absl::SleepFor(delay);
  absl::MutexLock lock(&mu_);
  if (!fail_.ok()) return fail_;
  if (image.has_digest()) return *image.digest();
  auto it = tags_.find(image.String());
  if (it == tags_.end() || it->second.empty()) {
    return WithFailure(absl::NotFoundError(absl::StrCat("image tag not found: ", image.String(),
                                                        ": MANIFEST_UNKNOWN: manifest unknown")),
                       Failure::kImageNotFound);
  }
  size_t& n = served_[image.String()];
  const oci::Digest& d = it->second[std::min(n, it->second.size() - 1)];
  ++n;
  return d;
}

absl::StatusOr<std::vector<AttachmentLayer>> FakeImageSource::Fetch(
    const oci::Reference& image, const oci::Digest& digest, AttachmentKind kind,
    const std::optional<oci::Repository>& repository, const RegistryAccess& access) {
  ++fetches_;
  std::string repo =
      repository.has_value() ? repository->String() : oci::Repository::Of(image).String();
  std::string key = absl::StrCat(repo, "@", digest.String(),
                                 kind == AttachmentKind::kSignatures ? ".sig" : ".att");
  absl::Duration delay;
  {
    absl::MutexLock lock(&mu_);
    calls_.push_back("fetch " + key);
    delay = delay_;
  }
  absl::SleepFor(delay);
  absl::MutexLock lock(&mu_);
  if (!fail_.ok()) return fail_;
  auto it = layers_.find(key);
  if (it == layers_.end()) return std::vector<AttachmentLayer>();
  return it->second;
}

std::vector<std::string> FakeImageSource::Calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

void FakeSecretSource::Set(const std::string& ns, const std::string& name, Secret secret) {
  absl::MutexLock lock(&mu_);
  secrets_[ns + "/" + name] = std::move(secret);
}

absl::StatusOr<Secret> FakeSecretSource::Get(absl::string_view ns, absl::string_view name) {
  absl::MutexLock lock(&mu_);
  auto it = secrets_.find(absl::StrCat(ns, "/", name));
  if (it == secrets_.end()) {
    return absl::NotFoundError(absl::StrCat("secrets \"", name, "\" not found"));
  }
  return it->second;
}

std::vector<AttachmentLayer> LayersOf(const std::string& manifest_json,
                                      const std::map<std::string, std::string>& blobs) {
  std::vector<AttachmentLayer> out;
  absl::StatusOr<oci::ImageManifest> m = oci::ImageManifest::Parse(manifest_json);
  if (!m.ok()) return out;
  for (const oci::Descriptor& d : m->layers) {
    AttachmentLayer layer{d, "", absl::OkStatus()};
    auto it = blobs.find(d.digest.String());
    if (it == blobs.end()) {
      layer.fetch_error = absl::NotFoundError("blob unknown");
    } else {
      layer.blob = it->second;
    }
    out.push_back(std::move(layer));
  }
  return out;
}

}  // namespace hallmark::verifier::policy::testing
