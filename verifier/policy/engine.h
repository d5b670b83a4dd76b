// File: verifier/policy/engine.h
//
// Engine: evaluates Kyverno verifyImages policies for one admission request, as Kyverno's
// mutating webhook (Mutate: verify, pin digests, annotate) and validating webhook (Validate:
// verifyDigest and required) do (shared/reference/cosign-kyverno.md §8). Pure but for the two
// injected sources (verifier/policy/sources.h); `hallmark policy apply` and the admission
// webhook both call it.
//
//   Engine engine(options);
//   EngineOutcome out = engine.Mutate(policies, input);
//   if (!out.allowed) deny(out.message);            // Kyverno's GetBlockedMessages text
//   else respond(out.patch);                          // RFC 6902 operations
//
// Per rule that applies (match/exclude, autogen for controllers) and each of its verifyImages
// entries, for each image of the object that matches imageReferences:
//  - skipImageReferences: status skip, annotation "skip", no registry access at all;
//  - the image is resolved to a digest ONCE (a digest reference is used as is) and everything
//    after — signature and attestation fetches, the digest patch, the annotation, the cache — uses
//    that digest, so a registry that moves the tag mid-admission cannot get an unverified digest
//    admitted (CVE-2022-47633, CVE-2023-47630);
//  - attestor sets are ANDed; in a set, entries are tried in order until `count` passed (all when
//    count is absent); an entry verifies the cosign signatures with its key(s); attestations are
//    checked only after every attestor set passed;
//  - mutateDigest: `replace <pointer> registry/path:tag@<verified digest>` when the image had no
//    digest; the annotation kyverno.io/verify-images maps each verified image (digest form) to
//    pass/fail/skip;
//  - on UPDATE, an image whose field did not change is not verified again (Kyverno) and is
//    recorded as pass; any changed image is verified, also on terminating objects
//    (CVE-2023-34091).
// Messages are Kyverno's: `failed to verify image <image>: .attestors[i].entries[j].keys: <cosign
// error>` (several failing entries joined by "; "), `image attestations verification failed,
// verifiedCount: N, requiredCount: M, error: ...`, `missing digest for <image>`,
// `unverified image <image>`.
//
// Deciding: a result denies when it is a failure of an Enforce rule, or an error (registry
// unreachable, Secret unreadable, malformed object...) under any rule — Hallmark FAILS CLOSED and
// does not honour failurePolicy: Ignore for verification errors (Kyverno would admit). Audit
// failures are admitted with warnings.
//
// Thread-safe; sources and cache must outlive the engine.
#ifndef HALLMARK_VERIFIER_POLICY_ENGINE_H_
#define HALLMARK_VERIFIER_POLICY_ENGINE_H_

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "verifier/policy/image_info.h"
#include "verifier/policy/match.h"
#include "verifier/policy/policy.h"
#include "verifier/policy/sources.h"
#include "verifier/policy/verification_cache.h"

namespace hallmark::verifier::policy {

enum class RuleStatus { kPass, kFail, kWarn, kError, kSkip };
absl::string_view RuleStatusName(RuleStatus status);  // "pass", "fail", "warn", "error", "skip"

inline constexpr absl::string_view kVerifyImagesAnnotation = "kyverno.io/verify-images";

struct RuleResult {
  std::string policy;  // policy name
  std::string rule;
  RuleStatus status = RuleStatus::kPass;
  std::string message;
  FailureAction action = FailureAction::kAudit;
  bool blocking = false;  // this result alone denies the request
  bool warning = false;   // reported as an admission warning
};

// One admission request, as the engine needs it (the webhook fills it from an AdmissionReview;
// `policy apply` from a resource file).
struct AdmissionInput {
  std::string operation = "CREATE";  // CREATE, UPDATE, DELETE, CONNECT
  std::string group;                 // of the object's kind ("" for core)
  std::string version = "v1";
  std::string kind;
  std::string subresource;  // "" or e.g. "ephemeralcontainers"
  std::string ns;
  std::string name;
  nlohmann::json object;      // the new object (null for DELETE)
  nlohmann::json old_object;  // UPDATE, DELETE
  RequestUser user;
};

struct EngineOutcome {
  bool allowed = true;
  std::string message;  // Kyverno's blocked-resource text when !allowed
  std::vector<RuleResult> results;
  nlohmann::json patch = nlohmann::json::array();     // RFC 6902 operations (Mutate)
  nlohmann::json patched_object;                      // `object` with `patch` applied
  std::map<std::string, std::string> image_statuses;  // kyverno.io/verify-images content
  std::vector<std::string> warnings;                  // "policy <p>.<rule>: <message>"
  bool error = false;        // some result is an error (unreachable registry, ...)
  size_t verifications = 0;  // images verified (not from cache, not skipped)
  size_t cache_hits = 0;
};

// What the cache keeps for one (policy version, rule, entry, image): the verdict, and for
// passes the digest that was verified (what the Pod is pinned to on a hit).
struct ImageVerdict {
  bool has_response = true;  // false: an entry with no attestors and no attestations
  RuleStatus status = RuleStatus::kPass;
  std::string message;
  std::string digest;  // "sha256:..." when resolved
};

using ImageVerdictCache = VerificationCache<ImageVerdict>;

struct EngineOptions {
  ImageSource* images = nullptr;       // required, not owned
  SecretSource* secrets = nullptr;     // optional, not owned: keys.secret needs it
  ImageVerdictCache* cache = nullptr;  // optional, not owned
};

class Engine {
 public:
  explicit Engine(EngineOptions options) : options_(options) {}

  // Mutate: the mutating webhook's evaluation. `policies` in the order they apply (the webhook
  // sorts ClusterPolicies then Policies by name).
  EngineOutcome Mutate(const std::vector<Policy>& policies, const AdmissionInput& input) const;

  // Validate: the validating webhook's checks (verifyDigest, required) on the object as it will
  // be stored (after every mutating webhook).
  EngineOutcome Validate(const std::vector<Policy>& policies, const AdmissionInput& input) const;

  // CacheKeyPrefix: the prefix of every cache key of `policy` (its version), for
  // ImageVerdictCache::RetainPrefixes when policies are reloaded.
  static std::string CacheKeyPrefix(const Policy& policy);

 private:
  struct RuleRun;
  ImageVerdict VerifyImage(const Policy& policy, const Rule& rule, const ImageVerification& iv,
                           const ImageInfo& info) const;
  ImageVerdict VerifyImageCached(const Policy& policy, const Rule& rule, size_t entry,
                                 const ImageVerification& iv, const ImageInfo& info,
                                 bool* hit) const;
  void Finish(const AdmissionInput& input, EngineOutcome* out) const;

  const EngineOptions options_;
};

}  // namespace hallmark::verifier::policy

#endif  // HALLMARK_VERIFIER_POLICY_ENGINE_H_
