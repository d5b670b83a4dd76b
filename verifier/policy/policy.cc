#include "verifier/policy/policy.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/encoding.h"
#include "base/status_macros.h"
#include "base/yaml_json.h"
#include "openssl/sha.h"
#include "verifier/policy/image_extract.h"
#include "verifier/policy/wildcard.h"

namespace hallmark::verifier::policy {
namespace {

using nlohmann::json;

constexpr char kAutogenAnnotation[] = "pod-policies.kyverno.io/autogen-controllers";
constexpr int kMaxNesting = 4;  // nested attestor sets

absl::Status Invalid(absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

const json* Member(const json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

// StringField: the member if it is a string, else "" (never throws on odd input).
std::string StringField(const json& obj, const char* key) {
  const json* v = Member(obj, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : "";
}

absl::StatusOr<std::string> OptString(const json& obj, const char* key, const std::string& where,
                                      std::string fallback = "") {
  const json* v = Member(obj, key);
  if (v == nullptr) return fallback;
  if (!v->is_string()) return Invalid(where + "." + key, "must be a string");
  return v->get<std::string>();
}

absl::StatusOr<bool> OptBool(const json& obj, const char* key, const std::string& where,
                             bool fallback) {
  const json* v = Member(obj, key);
  if (v == nullptr) return fallback;
  if (!v->is_boolean()) return Invalid(where + "." + key, "must be true or false");
  return v->get<bool>();
}

absl::StatusOr<std::vector<std::string>> OptStrings(const json& obj, const char* key,
                                                    const std::string& where) {
  std::vector<std::string> out;
  const json* v = Member(obj, key);
  if (v == nullptr) return out;
  if (!v->is_array()) return Invalid(where + "." + key, "must be a list of strings");
  for (const json& item : *v) {
    if (!item.is_string()) return Invalid(where + "." + key, "must be a list of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

absl::StatusOr<std::map<std::string, std::string>> OptStringMap(const json& obj, const char* key,
                                                                const std::string& where) {
  std::map<std::string, std::string> out;
  const json* v = Member(obj, key);
  if (v == nullptr) return out;
  if (!v->is_object()) return Invalid(where + "." + key, "must be a map of strings");
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (!it.value().is_string()) return Invalid(where + "." + key, "must be a map of strings");
    out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

// A field that must be absent (or empty) because Hallmark does not implement it.
absl::Status Refuse(const json& obj, const char* key, const std::string& where,
                    absl::string_view why) {
  const json* v = Member(obj, key);
  if (v == nullptr) return absl::OkStatus();
  if ((v->is_array() || v->is_object() || v->is_string()) && v->empty()) return absl::OkStatus();
  return Invalid(where + "." + key, why);
}

absl::StatusOr<FailureAction> ParseAction(const json& v, const std::string& where) {
  if (!v.is_string()) return Invalid(where, "must be Audit or Enforce");
  std::string s = v.get<std::string>();
  if (s == "Audit" || s == "audit") return FailureAction::kAudit;
  if (s == "Enforce" || s == "enforce") return FailureAction::kEnforce;
  return Invalid(where, absl::StrCat("\"", s, "\" is not Audit or Enforce"));
}

std::string Sha256Hex(absl::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return HexEncode(absl::string_view(reinterpret_cast<const char*>(md), sizeof(md)));
}

// ---- match / exclude ----

absl::StatusOr<LabelSelector> ParseSelector(const json& j, const std::string& where) {
  if (!j.is_object()) return Invalid(where, "must be a label selector");
  LabelSelector sel;
  HM_ASSIGN_OR_RETURN(sel.match_labels, OptStringMap(j, "matchLabels", where));
  if (const json* exprs = Member(j, "matchExpressions"); exprs != nullptr) {
    if (!exprs->is_array()) return Invalid(where + ".matchExpressions", "must be a list");
    for (size_t i = 0; i < exprs->size(); ++i) {
      std::string at = absl::StrCat(where, ".matchExpressions[", i, "]");
      LabelSelector::Requirement r;
      HM_ASSIGN_OR_RETURN(r.key, OptString((*exprs)[i], "key", at));
      HM_ASSIGN_OR_RETURN(r.op, OptString((*exprs)[i], "operator", at));
      HM_ASSIGN_OR_RETURN(r.values, OptStrings((*exprs)[i], "values", at));
      if (r.op != "In" && r.op != "NotIn" && r.op != "Exists" && r.op != "DoesNotExist") {
        return Invalid(at + ".operator", absl::StrCat("\"", r.op, "\" is not a selector operator"));
      }
      sel.match_expressions.push_back(std::move(r));
    }
  }
  return sel;
}

absl::StatusOr<ResourceFilter> ParseFilter(const json& j, const std::string& where) {
  if (!j.is_object()) return Invalid(where, "must be an object");
  ResourceFilter f;
  HM_RETURN_IF_ERROR(Refuse(j, "roles", where, "matching on roles is not supported"));
  HM_RETURN_IF_ERROR(Refuse(j, "clusterRoles", where, "matching on clusterRoles is not supported"));
  if (const json* subjects = Member(j, "subjects"); subjects != nullptr) {
    if (!subjects->is_array()) return Invalid(where + ".subjects", "must be a list");
    for (size_t i = 0; i < subjects->size(); ++i) {
      std::string at = absl::StrCat(where, ".subjects[", i, "]");
      Subject s;
      HM_ASSIGN_OR_RETURN(s.kind, OptString((*subjects)[i], "kind", at));
      HM_ASSIGN_OR_RETURN(s.name, OptString((*subjects)[i], "name", at));
      HM_ASSIGN_OR_RETURN(s.ns, OptString((*subjects)[i], "namespace", at));
      if (s.kind != "User" && s.kind != "Group" && s.kind != "ServiceAccount") {
        return Invalid(at + ".kind", "must be User, Group or ServiceAccount");
      }
      f.subjects.push_back(std::move(s));
    }
  }
  if (const json* res = Member(j, "resources"); res != nullptr) {
    std::string at = where + ".resources";
    if (!res->is_object()) return Invalid(at, "must be an object");
    HM_RETURN_IF_ERROR(Refuse(*res, "namespaceSelector", at,
                              "namespaceSelector is not supported (use namespaces)"));
    HM_ASSIGN_OR_RETURN(f.kinds, OptStrings(*res, "kinds", at));
    HM_ASSIGN_OR_RETURN(f.names, OptStrings(*res, "names", at));
    HM_ASSIGN_OR_RETURN(std::string name, OptString(*res, "name", at));
    if (!name.empty()) f.names.push_back(name);
    HM_ASSIGN_OR_RETURN(f.namespaces, OptStrings(*res, "namespaces", at));
    HM_ASSIGN_OR_RETURN(f.operations, OptStrings(*res, "operations", at));
    HM_ASSIGN_OR_RETURN(f.annotations, OptStringMap(*res, "annotations", at));
    if (const json* sel = Member(*res, "selector"); sel != nullptr) {
      HM_ASSIGN_OR_RETURN(f.selector, ParseSelector(*sel, at + ".selector"));
    }
    for (const std::string& op : f.operations) {
      if (op != "CREATE" && op != "UPDATE" && op != "DELETE" && op != "CONNECT") {
        return Invalid(at + ".operations", absl::StrCat("\"", op, "\" is not an operation"));
      }
    }
  }
  return f;
}

absl::StatusOr<MatchBlock> ParseMatch(const json& j, const std::string& where) {
  MatchBlock m;
  if (j.is_null()) return m;
  if (!j.is_object()) return Invalid(where, "must be an object");
  for (const char* list : {"any", "all"}) {
    const json* v = Member(j, list);
    if (v == nullptr) continue;
    if (!v->is_array()) return Invalid(absl::StrCat(where, ".", list), "must be a list");
    for (size_t i = 0; i < v->size(); ++i) {
      HM_ASSIGN_OR_RETURN(ResourceFilter f,
                          ParseFilter((*v)[i], absl::StrCat(where, ".", list, "[", i, "]")));
      (std::string(list) == "any" ? m.any : m.all).push_back(std::move(f));
    }
  }
  // Legacy form: match.resources / subjects directly.
  if (Member(j, "resources") != nullptr || Member(j, "subjects") != nullptr ||
      Member(j, "roles") != nullptr || Member(j, "clusterRoles") != nullptr) {
    if (!m.empty()) return Invalid(where, "use either any/all or resources, not both");
    HM_ASSIGN_OR_RETURN(ResourceFilter f, ParseFilter(j, where));
    m.any.push_back(std::move(f));
  }
  return m;
}

// ---- attestors ----

struct Ctx {
  const LoadOptions& options;
  std::string policy;
};

absl::StatusOr<AttestorSet> ParseAttestorSet(const json& j, const std::string& where,
                                             const Ctx& ctx, int depth);

absl::StatusOr<std::vector<Attestor>> ParseAttestor(const json& j, const std::string& where,
                                                    const Ctx& ctx, int depth) {
  if (!j.is_object()) return Invalid(where, "must be an object");
  std::vector<Attestor> out;
  Attestor base;
  HM_ASSIGN_OR_RETURN(base.annotations, OptStringMap(j, "annotations", where));
  HM_ASSIGN_OR_RETURN(base.repository, OptString(j, "repository", where));
  HM_ASSIGN_OR_RETURN(std::string entry_alg, OptString(j, "signatureAlgorithm", where));
  const json* keys = Member(j, "keys");
  const json* nested = Member(j, "attestor");
  if (Member(j, "keyless") != nullptr) {
    return Invalid(where + ".keyless",
                   "keyless (Fulcio) verification is not supported: use keys with a public key");
  }
  if (Member(j, "certificates") != nullptr) {
    return Invalid(where + ".certificates",
                   "certificate verification is not supported: use keys with a public key");
  }
  if ((keys != nullptr) == (nested != nullptr)) {
    return Invalid(where, "keys, certificates, keyless, or a nested attestor is required");
  }
  if (nested != nullptr) {
    if (depth >= kMaxNesting) return Invalid(where + ".attestor", "nested too deeply");
    HM_ASSIGN_OR_RETURN(AttestorSet set,
                        ParseAttestorSet(*nested, where + ".attestor", ctx, depth + 1));
    base.kind = Attestor::Kind::kNested;
    base.nested = std::make_shared<const AttestorSet>(std::move(set));
    out.push_back(std::move(base));
    return out;
  }
  std::string at = where + ".keys";
  if (!keys->is_object()) return Invalid(at, "must be an object");
  HM_RETURN_IF_ERROR(
      Refuse(*keys, "kms", at, "KMS keys are not supported: use publicKeys or secret"));
  HM_ASSIGN_OR_RETURN(std::string key_alg, OptString(*keys, "signatureAlgorithm", at));
  std::string alg = !key_alg.empty() ? key_alg : entry_alg.empty() ? "sha256" : entry_alg;
  absl::StatusOr<crypto::HashAlgorithm> hash = crypto::ParseHashAlgorithm(alg);
  if (!hash.ok()) {
    return Invalid(at + ".signatureAlgorithm",
                   absl::StrCat("\"", alg, "\" is not one of sha224, sha256, sha384, sha512"));
  }
  base.hash = *hash;
  // Transparency log: Kyverno requires Rekor unless rekor.ignoreTlog is true.
  const json* rekor = Member(*keys, "rekor");
  bool ignore_tlog = false;
  if (rekor != nullptr) {
    if (!rekor->is_object()) return Invalid(at + ".rekor", "must be an object");
    HM_ASSIGN_OR_RETURN(ignore_tlog, OptBool(*rekor, "ignoreTlog", at + ".rekor", false));
  }
  if (!ignore_tlog && !ctx.options.insecure_ignore_tlog) {
    return Invalid(at + ".rekor",
                   "this entry requires a transparency log (Rekor) check (no rekor block, or "
                   "ignoreTlog: false) and Hallmark has no Rekor support; set rekor.ignoreTlog: "
                   "true (and ctlog.ignoreSCT: true), or run with --insecure-ignore-tlog to "
                   "verify with the key alone");
  }
  if (const json* ctlog = Member(*keys, "ctlog"); ctlog != nullptr && !ctlog->is_object()) {
    return Invalid(at + ".ctlog", "must be an object");
  }
  HM_ASSIGN_OR_RETURN(std::string pem, OptString(*keys, "publicKeys", at));
  const json* secret = Member(*keys, "secret");
  if (!pem.empty() && secret != nullptr) return Invalid(at, "publicKeys and secret are exclusive");
  if (secret != nullptr) {
    if (!secret->is_object()) return Invalid(at + ".secret", "must be an object");
    SecretKeyRef ref;
    HM_ASSIGN_OR_RETURN(ref.name, OptString(*secret, "name", at + ".secret"));
    HM_ASSIGN_OR_RETURN(ref.ns, OptString(*secret, "namespace", at + ".secret"));
    if (ref.name.empty()) return Invalid(at + ".secret.name", "required");
    base.secret = std::move(ref);
    out.push_back(std::move(base));
    return out;
  }
  absl::string_view trimmed = absl::StripAsciiWhitespace(pem);
  if (trimmed.empty()) return Invalid(at, "publicKeys, secret or kms is required");
  if (absl::StartsWith(trimmed, "k8s://")) {
    std::vector<std::string> parts = absl::StrSplit(trimmed.substr(6), '/');
    if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
      return Invalid(at + ".publicKeys", "k8s:// keys are written k8s://<namespace>/<secret>");
    }
    base.secret = SecretKeyRef{parts[0], parts[1]};
    out.push_back(std::move(base));
    return out;
  }
  if (absl::StrContains(trimmed, "://")) {
    return Invalid(at + ".publicKeys", "KMS key URIs are not supported: paste the PEM public key");
  }
  absl::StatusOr<std::vector<crypto::PublicKey>> parsed = crypto::PublicKey::ParsePemKeys(pem);
  if (!parsed.ok()) return Invalid(at + ".publicKeys", parsed.status().message());
  for (crypto::PublicKey& key : *parsed) {
    Attestor a = base;
    a.key = std::move(key);
    out.push_back(std::move(a));
  }
  return out;
}

absl::StatusOr<AttestorSet> ParseAttestorSet(const json& j, const std::string& where,
                                             const Ctx& ctx, int depth) {
  if (!j.is_object()) return Invalid(where, "must be an object");
  AttestorSet set;
  if (const json* c = Member(j, "count"); c != nullptr) {
    if (!c->is_number_integer() || c->get<int64_t>() < 0 || c->get<int64_t>() > 1000) {
      return Invalid(where + ".count", "must be a small non-negative integer");
    }
    set.count = c->get<int>();
  }
  const json* entries = Member(j, "entries");
  if (entries == nullptr || !entries->is_array() || entries->empty()) {
    return Invalid(where + ".entries", "An entry is required");
  }
  if (set.count > static_cast<int>(entries->size())) {
    return Invalid(where + ".count", "Count cannot exceed length of entries");
  }
  for (size_t i = 0; i < entries->size(); ++i) {
    HM_ASSIGN_OR_RETURN(
        std::vector<Attestor> expanded,
        ParseAttestor((*entries)[i], absl::StrCat(where, ".entries[", i, "]"), ctx, depth));
    for (Attestor& a : expanded) set.entries.push_back(std::move(a));
  }
  return set;
}

absl::StatusOr<std::vector<AttestorSet>> ParseAttestorSets(const json& j, const std::string& where,
                                                           const Ctx& ctx) {
  std::vector<AttestorSet> out;
  if (j.is_null()) return out;
  if (!j.is_array()) return Invalid(where, "must be a list");
  for (size_t i = 0; i < j.size(); ++i) {
    HM_ASSIGN_OR_RETURN(AttestorSet set,
                        ParseAttestorSet(j[i], absl::StrCat(where, "[", i, "]"), ctx, 0));
    out.push_back(std::move(set));
  }
  return out;
}

absl::StatusOr<ImageVerification> ParseImageVerification(const json& j, const std::string& where,
                                                         const Ctx& ctx) {
  if (!j.is_object()) return Invalid(where, "must be an object");
  ImageVerification iv;
  HM_ASSIGN_OR_RETURN(std::string type, OptString(j, "type", where, "Cosign"));
  if (type != "Cosign") {
    return Invalid(where + ".type",
                   absl::StrCat("\"", type, "\" verification is not supported (only Cosign)"));
  }
  if (const json* oci11 = Member(j, "cosignOCI11"); oci11 != nullptr && *oci11 == true) {
    return Invalid(where + ".cosignOCI11", "OCI 1.1 referrers are not supported");
  }
  HM_RETURN_IF_ERROR(Refuse(j, "validate", where, "verifyImages validate is not supported"));
  HM_RETURN_IF_ERROR(Refuse(j, "roots", where, "keyless (roots) is not supported"));
  HM_RETURN_IF_ERROR(Refuse(j, "subject", where, "keyless (subject) is not supported"));
  HM_RETURN_IF_ERROR(Refuse(j, "issuer", where, "keyless (issuer) is not supported"));
  HM_RETURN_IF_ERROR(Refuse(j, "additionalExtensions", where, "keyless is not supported"));
  HM_ASSIGN_OR_RETURN(iv.image_references, OptStrings(j, "imageReferences", where));
  HM_ASSIGN_OR_RETURN(iv.skip_image_references, OptStrings(j, "skipImageReferences", where));
  HM_ASSIGN_OR_RETURN(std::string legacy_image, OptString(j, "image", where));
  if (!legacy_image.empty()) iv.image_references.push_back(legacy_image);
  if (iv.image_references.empty()) {
    return Invalid(where + ".imageReferences", "An image reference is required");
  }
  if (const json* fa = Member(j, "failureAction"); fa != nullptr) {
    HM_ASSIGN_OR_RETURN(FailureAction a, ParseAction(*fa, where + ".failureAction"));
    iv.failure_action = a;
  }
  HM_ASSIGN_OR_RETURN(iv.mutate_digest, OptBool(j, "mutateDigest", where, true));
  HM_ASSIGN_OR_RETURN(iv.verify_digest, OptBool(j, "verifyDigest", where, true));
  HM_ASSIGN_OR_RETURN(iv.required, OptBool(j, "required", where, true));
  HM_ASSIGN_OR_RETURN(iv.use_cache, OptBool(j, "useCache", where, true));
  HM_ASSIGN_OR_RETURN(iv.repository, OptString(j, "repository", where));
  if (const json* creds = Member(j, "imageRegistryCredentials"); creds != nullptr) {
    std::string at = where + ".imageRegistryCredentials";
    if (!creds->is_object()) return Invalid(at, "must be an object");
    HM_ASSIGN_OR_RETURN(iv.credentials.allow_insecure,
                        OptBool(*creds, "allowInsecureRegistry", at, false));
    HM_ASSIGN_OR_RETURN(iv.credentials.secrets, OptStrings(*creds, "secrets", at));
    HM_ASSIGN_OR_RETURN(std::vector<std::string> providers, OptStrings(*creds, "providers", at));
    for (const std::string& p : providers) {
      if (p != "default") {
        return Invalid(
            at + ".providers",
            absl::StrCat("\"", p, "\" credential helpers are not supported; use secrets"));
      }
    }
  }
  if (const json* att = Member(j, "attestors"); att != nullptr) {
    HM_ASSIGN_OR_RETURN(iv.attestors, ParseAttestorSets(*att, where + ".attestors", ctx));
  }
  // Legacy `key` (+ `annotations`): one attestor set with one keys entry, no Rekor settings.
  HM_ASSIGN_OR_RETURN(std::string legacy_key, OptString(j, "key", where));
  if (!legacy_key.empty()) {
    json entry = {{"keys", {{"publicKeys", legacy_key}}}};
    if (const json* ann = Member(j, "annotations"); ann != nullptr) entry["annotations"] = *ann;
    json set = {{"entries", json::array({entry})}};
    HM_ASSIGN_OR_RETURN(AttestorSet converted,
                        ParseAttestorSet(set, where + ".attestors[0]", ctx, 0));
    iv.attestors.insert(iv.attestors.begin(), std::move(converted));
  }
  if (const json* atts = Member(j, "attestations"); atts != nullptr) {
    if (!atts->is_array()) return Invalid(where + ".attestations", "must be a list");
    for (size_t i = 0; i < atts->size(); ++i) {
      std::string at = absl::StrCat(where, ".attestations[", i, "]");
      const json& a = (*atts)[i];
      if (!a.is_object()) return Invalid(at, "must be an object");
      Attestation out;
      HM_ASSIGN_OR_RETURN(out.type, OptString(a, "type", at));
      if (out.type.empty()) {
        HM_ASSIGN_OR_RETURN(out.type, OptString(a, "predicateType", at));
      }
      if (out.type.empty()) return Invalid(at, "missing type");
      HM_ASSIGN_OR_RETURN(out.name, OptString(a, "name", at));
      if (const json* ats = Member(a, "attestors"); ats != nullptr) {
        HM_ASSIGN_OR_RETURN(out.attestors, ParseAttestorSets(*ats, at + ".attestors", ctx));
      }
      if (out.attestors.empty()) {
        return Invalid(at + ".attestors",
                       "attestations without attestors need keyless verification, which is not "
                       "supported: add a keys attestor");
      }
      if (const json* conds = Member(a, "conditions"); conds != nullptr) {
        HM_ASSIGN_OR_RETURN(out.conditions, ParseConditions(*conds, at + ".conditions"));
      }
      iv.attestations.push_back(std::move(out));
    }
  }
  return iv;
}

absl::StatusOr<std::map<std::string, std::vector<ImageExtractor>>> ParseExtractors(
    const json& j, const std::string& where) {
  std::map<std::string, std::vector<ImageExtractor>> out;
  if (!j.is_object()) return Invalid(where, "must be a map of kind to extractors");
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string at = absl::StrCat(where, ".", it.key());
    if (!it.value().is_array()) return Invalid(at, "must be a list");
    for (size_t i = 0; i < it.value().size(); ++i) {
      std::string eat = absl::StrCat(at, "[", i, "]");
      const json& e = it.value()[i];
      if (!e.is_object()) return Invalid(eat, "must be an object");
      ImageExtractor ex;
      HM_ASSIGN_OR_RETURN(ex.path, OptString(e, "path", eat));
      HM_ASSIGN_OR_RETURN(ex.value, OptString(e, "value", eat));
      HM_ASSIGN_OR_RETURN(ex.key, OptString(e, "key", eat));
      HM_ASSIGN_OR_RETURN(ex.name, OptString(e, "name", eat));
      HM_ASSIGN_OR_RETURN(ex.jmes_path, OptString(e, "jmesPath", eat));
      if (ex.path.empty() || ex.path[0] != '/') return Invalid(eat + ".path", "must start with /");
      if (!ex.jmes_path.empty()) {
        absl::Status s = ValidateJmesPath(ex.jmes_path);
        if (!s.ok()) return Invalid(eat + ".jmesPath", s.message());
      }
      out[it.key()].push_back(std::move(ex));
    }
  }
  return out;
}

bool OnlyPodKinds(const MatchBlock& m, bool allow_empty) {
  bool any_filter = false;
  for (const auto* list : {&m.any, &m.all}) {
    for (const ResourceFilter& f : *list) {
      any_filter = true;
      if (f.kinds.empty() && allow_empty) continue;
      if (f.kinds.empty()) return false;
      for (const std::string& k : f.kinds) {
        if (k != "Pod" && k != "v1/Pod") return false;
      }
    }
  }
  return any_filter || allow_empty;
}

MatchBlock WithKinds(MatchBlock m, const std::vector<std::string>& kinds) {
  for (auto* list : {&m.any, &m.all}) {
    for (ResourceFilter& f : *list) {
      if (!f.kinds.empty()) f.kinds = kinds;
    }
  }
  return m;
}

absl::StatusOr<Rule> ParseRule(const json& j, const std::string& where, const Ctx& ctx,
                               std::optional<FailureAction> spec_action) {
  if (!j.is_object()) return Invalid(where, "must be an object");
  Rule rule;
  HM_ASSIGN_OR_RETURN(rule.name, OptString(j, "name", where));
  if (rule.name.empty()) return Invalid(where + ".name", "required");
  std::string at = absl::StrCat(where, " (", rule.name, ")");
  for (const char* other : {"validate", "mutate", "generate", "verifyImageChecks"}) {
    if (Member(j, other) != nullptr) {
      return Invalid(at, absl::StrCat(other, " rules are not supported: only verifyImages"));
    }
  }
  HM_RETURN_IF_ERROR(Refuse(j, "context", at, "rule context entries are not supported"));
  HM_RETURN_IF_ERROR(Refuse(j, "preconditions", at, "rule preconditions are not supported"));
  HM_RETURN_IF_ERROR(Refuse(j, "celPreconditions", at, "CEL preconditions are not supported"));
  const json* match = Member(j, "match");
  if (match == nullptr) return Invalid(at + ".match", "required");
  HM_ASSIGN_OR_RETURN(rule.match, ParseMatch(*match, at + ".match"));
  if (rule.match.empty()) return Invalid(at + ".match", "needs any, all or resources");
  if (const json* ex = Member(j, "exclude"); ex != nullptr) {
    HM_ASSIGN_OR_RETURN(rule.exclude, ParseMatch(*ex, at + ".exclude"));
  }
  if (const json* ie = Member(j, "imageExtractors"); ie != nullptr) {
    HM_ASSIGN_OR_RETURN(rule.image_extractors, ParseExtractors(*ie, at + ".imageExtractors"));
  }
  const json* vi = Member(j, "verifyImages");
  if (vi == nullptr || !vi->is_array() || vi->empty()) {
    return Invalid(at + ".verifyImages", "required (only verifyImages rules are supported)");
  }
  bool any_enforce = false, any_audit = false;
  for (size_t i = 0; i < vi->size(); ++i) {
    std::string vat = absl::StrCat(at, ".verifyImages[", i, "]");
    HM_ASSIGN_OR_RETURN(ImageVerification iv, ParseImageVerification((*vi)[i], vat, ctx));
    std::optional<FailureAction> explicit_action =
        iv.failure_action.has_value() ? iv.failure_action : spec_action;
    if (explicit_action == FailureAction::kAudit && iv.mutate_digest) {
      return Invalid(vat + ".mutateDigest",
                     "mutateDigest must be set to false for \xe2\x80\x98"
                     "Audit\xe2\x80\x99 failure action");
    }
    if (iv.failure_action == FailureAction::kEnforce) any_enforce = true;
    if (iv.failure_action == FailureAction::kAudit) any_audit = true;
    rule.verify_images.push_back(std::move(iv));
  }
  if (any_enforce) {
    rule.action = FailureAction::kEnforce;
  } else if (any_audit) {
    rule.action = FailureAction::kAudit;
  } else {
    rule.action = spec_action.value_or(FailureAction::kAudit);
  }
  return rule;
}

// Autogen (Kyverno pkg/autogen): a rule matching only Pods also applies to the pod templates of
// the controllers, as `autogen-<rule>` and, for CronJob, `autogen-cronjob-<rule>`.
std::vector<Rule> Autogen(const Rule& rule, const std::vector<std::string>& controllers) {
  std::vector<Rule> out;
  if (controllers.empty() || !OnlyPodKinds(rule.match, false) ||
      !OnlyPodKinds(rule.exclude, true)) {
    return out;
  }
  std::vector<std::string> plain;
  bool cronjob = false;
  for (const std::string& c : controllers) {
    if (c == "CronJob")
      cronjob = true;
    else
      plain.push_back(c);
  }
  if (!plain.empty()) {
    Rule r = rule;
    r.name = "autogen-" + rule.name;
    r.match = WithKinds(rule.match, plain);
    r.exclude = WithKinds(rule.exclude, plain);
    r.pod_template_prefix = "/spec/template";
    out.push_back(std::move(r));
  }
  if (cronjob) {
    Rule r = rule;
    r.name = "autogen-cronjob-" + rule.name;
    r.match = WithKinds(rule.match, {"CronJob"});
    r.exclude = WithKinds(rule.exclude, {"CronJob"});
    r.pod_template_prefix = "/spec/jobTemplate/spec/template";
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

bool LabelSelector::Matches(const std::map<std::string, std::string>& labels) const {
  for (const auto& [k, v] : match_labels) {
    auto it = labels.find(k);
    if (it == labels.end() || !WildcardMatch(v, it->second)) return false;
  }
  for (const Requirement& r : match_expressions) {
    auto it = labels.find(r.key);
    bool has = it != labels.end();
    bool in = has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    if (r.op == "In" && !in) return false;
    if (r.op == "NotIn" && in) return false;
    if (r.op == "Exists" && !has) return false;
    if (r.op == "DoesNotExist" && has) return false;
  }
  return true;
}

absl::StatusOr<Policy> ParsePolicy(const json& object, const LoadOptions& options) {
  if (!object.is_object()) return absl::InvalidArgumentError("policy: not an object");
  std::string api_version = StringField(object, "apiVersion");
  Policy p;
  p.kind = StringField(object, "kind");
  if (p.kind != "ClusterPolicy" && p.kind != "Policy") {
    return absl::InvalidArgumentError(
        absl::StrCat("not a Kyverno policy: kind \"", p.kind, "\" (want ClusterPolicy or Policy)"));
  }
  if (api_version != "kyverno.io/v1" && api_version != "kyverno.io/v2beta1") {
    return absl::InvalidArgumentError(
        absl::StrCat(p.kind, ": apiVersion \"", api_version, "\" is not kyverno.io/v1"));
  }
  const json* meta = Member(object, "metadata");
  if (meta == nullptr || !meta->is_object()) {
    return absl::InvalidArgumentError(p.kind + ": metadata is required");
  }
  HM_ASSIGN_OR_RETURN(p.name, OptString(*meta, "name", p.kind + ".metadata"));
  if (p.name.empty()) return absl::InvalidArgumentError(p.kind + ": metadata.name is required");
  const std::string where = absl::StrCat(p.kind, " \"", p.name, "\"");
  HM_ASSIGN_OR_RETURN(p.ns, OptString(*meta, "namespace", where + ".metadata"));
  if (p.kind == "ClusterPolicy") p.ns.clear();
  if (p.kind == "Policy" && p.ns.empty()) p.ns = "default";
  HM_ASSIGN_OR_RETURN(p.uid, OptString(*meta, "uid", where + ".metadata"));
  HM_ASSIGN_OR_RETURN(p.resource_version, OptString(*meta, "resourceVersion", where + ".metadata"));
  if (!p.uid.empty() && !p.resource_version.empty()) {
    p.version = absl::StrCat(p.uid, "/", p.resource_version);
  } else {
    json canonical = object;
    p.version = absl::StrCat(p.Key(), "@sha256:", Sha256Hex(canonical.dump()));
  }
  HM_ASSIGN_OR_RETURN(auto annotations, OptStringMap(*meta, "annotations", where + ".metadata"));

  const json* spec = Member(object, "spec");
  if (spec == nullptr || !spec->is_object()) return Invalid(where, "spec is required");
  const std::string sat = where + ".spec";
  std::optional<FailureAction> spec_action;
  if (const json* a = Member(*spec, "validationFailureAction"); a != nullptr) {
    HM_ASSIGN_OR_RETURN(FailureAction action, ParseAction(*a, sat + ".validationFailureAction"));
    spec_action = action;
  }
  HM_RETURN_IF_ERROR(Refuse(*spec, "validationFailureActionOverrides", sat,
                            "per-namespace failure action overrides are not supported"));
  std::string failure_policy;
  HM_ASSIGN_OR_RETURN(failure_policy, OptString(*spec, "failurePolicy", sat));
  if (const json* wc = Member(*spec, "webhookConfiguration"); wc != nullptr) {
    if (!wc->is_object()) return Invalid(sat + ".webhookConfiguration", "must be an object");
    HM_ASSIGN_OR_RETURN(std::string fp,
                        OptString(*wc, "failurePolicy", sat + ".webhookConfiguration"));
    if (!fp.empty()) failure_policy = fp;
    if (const json* t = Member(*wc, "timeoutSeconds"); t != nullptr && t->is_number_integer()) {
      p.webhook_timeout_seconds = t->get<int>();
    }
  }
  if (failure_policy == "Ignore") {
    p.failure_policy = FailurePolicy::kIgnore;
  } else if (!failure_policy.empty() && failure_policy != "Fail") {
    return Invalid(sat + ".failurePolicy", "must be Fail or Ignore");
  }
  if (const json* t = Member(*spec, "webhookTimeoutSeconds");
      t != nullptr && t->is_number_integer()) {
    p.webhook_timeout_seconds = t->get<int>();
  }
  HM_ASSIGN_OR_RETURN(p.admission, OptBool(*spec, "admission", sat, true));
  HM_ASSIGN_OR_RETURN(p.background, OptBool(*spec, "background", sat, true));
  HM_ASSIGN_OR_RETURN(std::string apply, OptString(*spec, "applyRules", sat, "All"));
  if (apply != "All" && apply != "One") return Invalid(sat + ".applyRules", "must be All or One");
  p.apply_one = apply == "One";

  std::vector<std::string> controllers = options.default_autogen_controllers;
  if (auto it = annotations.find(kAutogenAnnotation); it != annotations.end()) {
    controllers.clear();
    if (it->second != "none") {
      for (absl::string_view c : absl::StrSplit(it->second, ',', absl::SkipWhitespace())) {
        controllers.push_back(std::string(absl::StripAsciiWhitespace(c)));
      }
    }
  }

  const json* rules = Member(*spec, "rules");
  if (rules == nullptr || !rules->is_array() || rules->empty()) {
    return Invalid(sat + ".rules", "at least one rule is required");
  }
  Ctx ctx{options, p.name};
  std::set<std::string> names;
  std::vector<Rule> generated;
  for (size_t i = 0; i < rules->size(); ++i) {
    HM_ASSIGN_OR_RETURN(
        Rule r, ParseRule((*rules)[i], absl::StrCat(sat, ".rules[", i, "]"), ctx, spec_action));
    if (!names.insert(r.name).second) {
      return Invalid(absl::StrCat(sat, ".rules[", i, "].name"),
                     absl::StrCat("duplicate rule name \"", r.name, "\""));
    }
    std::vector<Rule> auto_rules = Autogen(r, controllers);
    p.rules.push_back(std::move(r));
    for (Rule& a : auto_rules) generated.push_back(std::move(a));
  }
  for (Rule& a : generated) p.rules.push_back(std::move(a));
  return p;
}

absl::StatusOr<std::vector<Policy>> ParsePolicies(absl::string_view text,
                                                  const LoadOptions& options) {
  if (text.size() > kMaxPolicyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy text is larger than ", kMaxPolicyBytes, " bytes"));
  }
  HM_ASSIGN_OR_RETURN(std::vector<json> docs, ParseYamlOrJson(text));
  std::vector<Policy> out;
  for (const json& doc : docs) {
    if (StringField(doc, "kind") == "List" && doc.contains("items") && doc["items"].is_array()) {
      for (const json& item : doc["items"]) {
        HM_ASSIGN_OR_RETURN(Policy p, ParsePolicy(item, options));
        out.push_back(std::move(p));
      }
      continue;
    }
    HM_ASSIGN_OR_RETURN(Policy p, ParsePolicy(doc, options));
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace hallmark::verifier::policy
