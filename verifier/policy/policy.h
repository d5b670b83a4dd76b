// File: verifier/policy/policy.h
//
// Kyverno `kyverno.io/v1` ClusterPolicy / Policy objects with `verifyImages` rules, parsed
// unchanged from YAML or JSON and validated when they are LOADED: a policy that uses something
// Hallmark cannot enforce is refused with a message naming the field, never half-applied.
// Semantics: shared/reference/cosign-kyverno.md §8.
//
//   LoadOptions options;
//   HM_ASSIGN_OR_RETURN(std::vector<Policy> policies, ParsePolicies(file_text, options));
//
// Supported (as Kyverno): match / exclude (`any`, `all`, or the legacy `resources` block) on
// kinds, names, namespaces, operations, annotations, label `selector`, and `subjects`; autogen
// for Pod controllers (`pod-policies.kyverno.io/autogen-controllers`); `imageExtractors`
// (`path` with `*`, `value`, `key`, `name`, and `jmesPath` limited to `@`, `trim_prefix`,
// `trim_suffix`, `to_lower`, `to_upper`); `verifyImages[]` with `imageReferences`,
// `skipImageReferences`, `failureAction` (and `spec.validationFailureAction`), `verifyDigest`,
// `mutateDigest`, `required`, `useCache`, `repository`, `imageRegistryCredentials`
// (`allowInsecureRegistry`, `secrets`), `attestors[]` (`count`, `entries[]` with `keys`
// {`publicKeys` (several keys, or `k8s://ns/name`), `secret`, `signatureAlgorithm`, `rekor`,
// `ctlog`}, `annotations`, `repository`, nested `attestor`), `attestations[]` (`type` /
// `predicateType`, `name`, `attestors`, `conditions`), and the legacy `image` / `key` /
// `annotations` fields.
//
// Refused at load (kInvalidArgument naming policy, rule and field): rules that are not
// verifyImages (validate, mutate, generate), rule `context` / `preconditions`, `type` Notary or
// SigstoreBundle, `cosignOCI11`, `verifyImages[].validate`, `keyless`, `certificates`, `keys.kms`
// and KMS URIs in `publicKeys`, registry `providers`, attestations without attestors (keyless),
// `roles` / `clusterRoles` / `namespaceSelector` in match or exclude,
// `validationFailureActionOverrides`, `mutateDigest: true` with an explicit Audit action
// (Kyverno's own rule), and a transparency-log requirement: an entry whose `rekor` block is
// absent or has `ignoreTlog: false` needs Rekor, which Hallmark does not have. Pass
// `insecure_ignore_tlog` (flag `--insecure-ignore-tlog`) to verify such entries with the key alone,
// as `cosign verify --insecure-ignore-tlog` does. `ctlog.ignoreSCT: false` (or no `ctlog`) is
// accepted for keys: SCTs live in Fulcio certificates, which key attestors never use.
#ifndef HALLMARK_VERIFIER_POLICY_POLICY_H_
#define HALLMARK_VERIFIER_POLICY_POLICY_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/key_type.h"
#include "crypto/public_key.h"
#include "nlohmann/json.hpp"
#include "verifier/policy/conditions.h"

namespace hallmark::verifier::policy {

enum class FailureAction { kAudit, kEnforce };
enum class FailurePolicy { kFail, kIgnore };

// Where a key comes from when it is not inline: a Secret's `cosign.pub` (keys.secret, or
// publicKeys `k8s://namespace/name`).
struct SecretKeyRef {
  std::string ns;
  std::string name;
};

struct AttestorSet;

// One attestor entry after Kyverno's ExpandStaticKeys: a `publicKeys` text with several keys
// becomes one entry per key.
struct Attestor {
  enum class Kind { kKeys, kNested };
  Kind kind = Kind::kKeys;
  std::optional<crypto::PublicKey> key;  // inline key (keys.publicKeys)
  std::optional<SecretKeyRef> secret;    // or a Secret's cosign.pub
  crypto::HashAlgorithm hash = crypto::kDefaultHash;
  std::map<std::string, std::string> annotations;  // must be in the signature's `optional`
  std::string repository;                          // "" : the image's (or verifyImages') own
  std::shared_ptr<const AttestorSet> nested;       // Kind::kNested
  // The message path suffix Kyverno prints after `.entries[j]`: ".keys" or ".attestor".
  std::string PathSuffix() const { return kind == Kind::kNested ? ".attestor" : ".keys"; }
};

struct AttestorSet {
  int count = 0;  // 0: every entry must verify
  std::vector<Attestor> entries;
  int RequiredCount() const {
    return count <= 0 || count > static_cast<int>(entries.size()) ? static_cast<int>(entries.size())
                                                                  : count;
  }
};

struct Attestation {
  std::string type;  // predicate URI (`type`, or the deprecated `predicateType`)
  std::string name;
  std::vector<AttestorSet> attestors;
  std::vector<AnyAllConditions> conditions;
};

struct RegistryAccess {
  std::vector<std::string> secrets;  // docker-config Secret names ("name" or "ns/name")
  bool allow_insecure = false;
  friend bool operator==(const RegistryAccess& a, const RegistryAccess& b) {
    return a.secrets == b.secrets && a.allow_insecure == b.allow_insecure;
  }
};

struct ImageVerification {
  std::vector<std::string> image_references;
  std::vector<std::string> skip_image_references;
  std::optional<FailureAction> failure_action;  // per entry (Kyverno >= 1.13)
  bool mutate_digest = true;
  bool verify_digest = true;
  bool required = true;
  bool use_cache = true;
  std::string repository;
  RegistryAccess credentials;
  std::vector<AttestorSet> attestors;
  std::vector<Attestation> attestations;
};

struct LabelSelector {
  std::map<std::string, std::string> match_labels;  // values may hold wildcards (Kyverno)
  struct Requirement {
    std::string key;
    std::string op;  // In, NotIn, Exists, DoesNotExist
    std::vector<std::string> values;
  };
  std::vector<Requirement> match_expressions;
  bool Matches(const std::map<std::string, std::string>& labels) const;
};

struct Subject {
  std::string kind;  // User, Group, ServiceAccount
  std::string name;
  std::string ns;
};

struct ResourceFilter {
  std::vector<std::string> kinds;
  std::vector<std::string> names;  // `name` and `names`
  std::vector<std::string> namespaces;
  std::vector<std::string> operations;
  std::map<std::string, std::string> annotations;
  std::optional<LabelSelector> selector;
  std::vector<Subject> subjects;
};

struct MatchBlock {
  std::vector<ResourceFilter> any;
  std::vector<ResourceFilter> all;
  bool empty() const { return any.empty() && all.empty(); }
};

// A custom image extractor (rule.imageExtractors[kind][i]).
struct ImageExtractor {
  std::string path;   // "/spec/source/registry/url", may hold `*`
  std::string value;  // field inside `path` holding the image ("" : the path is the image)
  std::string key;
  std::string name;
  std::string jmes_path;  // "" or a supported expression
};

struct Rule {
  std::string name;
  MatchBlock match;
  MatchBlock exclude;
  std::map<std::string, std::vector<ImageExtractor>> image_extractors;  // by kind
  std::vector<ImageVerification> verify_images;
  // The rule's effective action: Enforce if any verifyImages entry says Enforce; else Audit if
  // any says Audit; else spec.validationFailureAction (default Audit).
  FailureAction action = FailureAction::kAudit;
  // Set on rules generated by autogen for Pod controllers: the pod spec lives under this
  // pointer prefix ("/spec/template" or "/spec/jobTemplate/spec/template").
  std::string pod_template_prefix;
};

struct Policy {
  std::string kind;  // "ClusterPolicy" or "Policy"
  std::string name;
  std::string ns;  // Policy only
  std::string uid;
  std::string resource_version;
  // Identity + version for the verification cache: uid/resourceVersion when the API server gave
  // them, else "<name>@sha256:<hex of the object's canonical JSON>". A changed policy gets a new
  // version, so cached results of the old one are never used for it.
  std::string version;
  bool admission = true;  // spec.admission: false -> not applied to admission requests
  bool background = true;
  FailurePolicy failure_policy = FailurePolicy::kFail;
  int webhook_timeout_seconds = 10;
  bool apply_one = false;   // spec.applyRules: One
  std::vector<Rule> rules;  // including autogen rules, after the Pod rules they came from

  // Key: "<ns>/<name>" for a Policy, "/<name>" for a ClusterPolicy (Kyverno's scoped key).
  std::string Key() const { return ns + "/" + name; }
};

struct LoadOptions {
  // Accept entries that require a transparency log and verify them with the key only.
  // WARNING: weaker than Kyverno with Rekor; see the file comment.
  bool insecure_ignore_tlog = false;
  // Autogen controllers when the policy does not name them (Kyverno's default).
  std::vector<std::string> default_autogen_controllers = {
      "DaemonSet", "Deployment", "Job", "StatefulSet", "ReplicaSet", "ReplicationController",
      "CronJob"};
};

// Largest policy text accepted (a policy with a few keys is a few KiB).
inline constexpr size_t kMaxPolicyBytes = 1 << 20;

// ParsePolicy: one ClusterPolicy or Policy object (as JSON). kInvalidArgument naming the policy
// and the field for anything unsupported or malformed (see the file comment).
absl::StatusOr<Policy> ParsePolicy(const nlohmann::json& object, const LoadOptions& options = {});

// ParsePolicies: every document of a YAML stream or JSON text (a `List` kind is unpacked);
// documents that are not kyverno.io ClusterPolicy/Policy are refused. At most kMaxPolicyBytes.
absl::StatusOr<std::vector<Policy>> ParsePolicies(absl::string_view text,
                                                  const LoadOptions& options = {});

}  // namespace hallmark::verifier::policy

#endif  // HALLMARK_VERIFIER_POLICY_POLICY_H_
