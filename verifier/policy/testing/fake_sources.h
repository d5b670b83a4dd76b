// File: verifier/policy/testing/fake_sources.h
//
// In-memory ImageSource and SecretSource for tests of the policy engine and the webhook: images
// are tags pointing at digests, attachments are layer lists per (repository, digest, kind).
// Calls are counted so tests can prove what was (not) fetched; errors can be injected.
#ifndef HALLMARK_VERIFIER_POLICY_TESTING_FAKE_SOURCES_H_
#define HALLMARK_VERIFIER_POLICY_TESTING_FAKE_SOURCES_H_

#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "verifier/policy/sources.h"

namespace hallmark::verifier::policy::testing {

class FakeImageSource : public ImageSource {
 public:
  // SetTag: `reference` ("registry/repo:tag", oci normalisation applied) resolves to `digest`.
  // Several digests are served in turn, one per Resolve (a registry re-pointing the tag).
  void SetTag(const std::string& reference, std::vector<oci::Digest> digests);
  // SetLayers: the `.sig` / `.att` layers of `digest` in `repository` ("registry/path").
  void SetLayers(const std::string& repository, const oci::Digest& digest, AttachmentKind kind,
                 std::vector<AttachmentLayer> layers);
  // FailAll: every call returns `status` (e.g. kUnavailable: registry down).
  void FailAll(absl::Status status);
  // Delay: every call sleeps this long first (a slow registry).
  void SetDelay(absl::Duration delay);

  absl::StatusOr<oci::Digest> Resolve(const oci::Reference& image,
                                      const RegistryAccess& access) override;
  absl::StatusOr<std::vector<AttachmentLayer>> Fetch(
      const oci::Reference& image, const oci::Digest& digest, AttachmentKind kind,
      const std::optional<oci::Repository>& repository, const RegistryAccess& access) override;

  int resolves() const { return resolves_.load(); }
  int fetches() const { return fetches_.load(); }
  // Every reference string passed to Resolve or Fetch, in order.
  std::vector<std::string> Calls() const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::vector<oci::Digest>> tags_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, size_t> served_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<AttachmentLayer>> layers_ ABSL_GUARDED_BY(mu_);
  absl::Status fail_ ABSL_GUARDED_BY(mu_);
  absl::Duration delay_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  std::vector<std::string> calls_ ABSL_GUARDED_BY(mu_);
  std::atomic<int> resolves_{0};
  std::atomic<int> fetches_{0};
};

class FakeSecretSource : public SecretSource {
 public:
  explicit FakeSecretSource(std::string default_namespace = "hallmark-system")
      : default_namespace_(std::move(default_namespace)) {}
  void Set(const std::string& ns, const std::string& name, Secret secret);
  absl::StatusOr<Secret> Get(absl::string_view ns, absl::string_view name) override;
  std::string DefaultNamespace() const override { return default_namespace_; }

 private:
  std::string default_namespace_;
  absl::Mutex mu_;
  std::map<std::string, Secret> secrets_ ABSL_GUARDED_BY(mu_);
};

// Layers of a cosign `.sig` / `.att` manifest from fixture-style parts: the manifest JSON and
// its blobs by digest (blobs missing from the map come back with fetch_error set).
std::vector<AttachmentLayer> LayersOf(const std::string& manifest_json,
                                      const std::map<std::string, std::string>& blobs);

}  // namespace hallmark::verifier::policy::testing

#endif  // HALLMARK_VERIFIER_POLICY_TESTING_FAKE_SOURCES_H_
