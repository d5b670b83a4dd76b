#include "verifier/policy/engine.h"

#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "crypto/public_key.h"
#include "verifier/cosign.h"
#include "verifier/policy/blocked_message.h"
#include "verifier/policy/conditions.h"
#include "verifier/policy/image_extract.h"
#include "verifier/policy/wildcard.h"

namespace hallmark::verifier::policy {
namespace {

using nlohmann::json;

constexpr char kAnnotationPointer[] = "/metadata/annotations/kyverno.io~1verify-images";

bool AnyMatch(const std::vector<std::string>& patterns, const std::string& image) {
  for (const std::string& p : patterns) {
    if (WildcardMatch(p, image)) return true;
  }
  return false;
}

// Errors that say nothing about the image itself: the registry (or API server) could not be
// asked. Kyverno reports network errors as rule errors rather than failures.
bool IsTransportError(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kUnknown:
      return true;
    default:
      return false;
  }
}

const json* ValueAt(const json& doc, const std::string& pointer) {
  const json* cur = &doc;
  size_t pos = 1;
  if (pointer.empty() || pointer[0] != '/') return nullptr;
  while (cur != nullptr && pos <= pointer.size()) {
    size_t next = pointer.find('/', pos);
    std::string token =
        pointer.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    std::string unescaped;
    for (size_t i = 0; i < token.size(); ++i) {
      if (token[i] == '~' && i + 1 < token.size()) {
        unescaped += token[i + 1] == '1' ? '/' : '~';
        ++i;
      } else {
        unescaped += token[i];
      }
    }
    if (cur->is_object()) {
      auto it = cur->find(unescaped);
      cur = it == cur->end() ? nullptr : &*it;
    } else if (cur->is_array()) {
      size_t idx = 0;
      if (!absl::SimpleAtoi(unescaped, &idx)) return nullptr;
      cur = idx < cur->size() ? &(*cur)[idx] : nullptr;
    } else {
      return nullptr;
    }
    if (next == std::string::npos) break;
    pos = next + 1;
  }
  return cur;
}

// ApplyPatch: `doc` with RFC 6902 `ops` applied (nlohmann's implementation; it reports errors by
// exception, caught here).
absl::StatusOr<json> ApplyPatch(const json& doc, const json& ops) {
  try {
    return doc.patch(ops);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("failed to apply patch: ", e.what()));
  }
}

std::map<std::string, std::string> Annotations(const json& object) {
  std::map<std::string, std::string> out;
  const json* a = ValueAt(object, "/metadata/annotations");
  if (a == nullptr || !a->is_object()) return out;
  for (auto it = a->begin(); it != a->end(); ++it) {
    if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

// The attachments of one image digest, fetched at most once per (repository, kind) for all the
// entries of one verification.
class Fetcher {
 public:
  Fetcher(ImageSource* source, const oci::Reference& image, const oci::Digest& digest,
          const RegistryAccess& access)
      : source_(source), image_(image), digest_(digest), access_(access) {}

  absl::StatusOr<std::vector<AttachmentLayer>>* Get(const std::string& repository,
                                                    AttachmentKind kind) {
    std::string key =
        absl::StrCat(kind == AttachmentKind::kSignatures ? "sig|" : "att|", repository);
    auto it = memo_.find(key);
    if (it != memo_.end()) return &it->second;
    std::optional<oci::Repository> repo;
    absl::StatusOr<std::vector<AttachmentLayer>> result;
    if (!repository.empty()) {
      absl::StatusOr<oci::Repository> parsed = oci::Repository::Parse(repository);
      if (!parsed.ok()) {
        result = absl::InvalidArgumentError(
            absl::StrCat("repository \"", repository, "\": ", parsed.status().message()));
        return &memo_.emplace(key, std::move(result)).first->second;
      }
      repo = *parsed;
    }
    result = source_->Fetch(image_, digest_, kind, repo, access_);
    return &memo_.emplace(key, std::move(result)).first->second;
  }

 private:
  ImageSource* source_;
  const oci::Reference& image_;
  const oci::Digest& digest_;
  const RegistryAccess& access_;
  std::map<std::string, absl::StatusOr<std::vector<AttachmentLayer>>> memo_;
};

struct SetContext {
  const ImageVerification& iv;
  const absl::StatusOr<oci::Digest>& digest;
  Fetcher* fetcher;  // null when the digest is unknown
  SecretSource* secrets;
  bool transport_error = false;
};

absl::StatusOr<std::vector<crypto::PublicKey>> KeysOf(const Attestor& a, SecretSource* secrets) {
  if (a.key.has_value()) return std::vector<crypto::PublicKey>{*a.key};
  if (!a.secret.has_value()) return absl::InvalidArgumentError("no key");
  if (secrets == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("key from secret ", a.secret->ns, "/", a.secret->name,
                     ": no access to the API server (--kubeconfig)"));
  }
  std::string ns = a.secret->ns.empty() ? secrets->DefaultNamespace() : a.secret->ns;
  absl::StatusOr<Secret> secret = secrets->Get(ns, a.secret->name);
  if (!secret.ok()) {
    return absl::Status(secret.status().code(),
                        absl::StrCat("failed to read secret ", ns, "/", a.secret->name, ": ",
                                     secret.status().message()));
  }
  auto it = secret->data.find("cosign.pub");
  if (it == secret->data.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("secret ", ns, "/", a.secret->name, " has no cosign.pub"));
  }
  absl::StatusOr<std::vector<crypto::PublicKey>> keys = crypto::PublicKey::ParsePemKeys(it->second);
  if (!keys.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("secret ", ns, "/", a.secret->name, " cosign.pub: ", keys.status().message()));
  }
  return keys;
}

// VerifySet: Kyverno's verifyAttestorSet. OK when `count` entries verified; else the entries'
// errors joined by "; " (go.uber.org/multierr).
absl::Status VerifySet(const AttestorSet& set, const std::string& path, SetContext* ctx) {
  const int required = set.RequiredCount();
  int verified = 0;
  std::vector<std::string> errors;
  for (size_t j = 0; j < set.entries.size(); ++j) {
    const Attestor& a = set.entries[j];
    std::string entry_path = absl::StrCat(path, ".entries[", j, "]");
    absl::Status entry;
    if (a.kind == Attestor::Kind::kNested) {
      entry = VerifySet(*a.nested, entry_path + ".attestor", ctx);
    } else {
      std::string prefix = entry_path + a.PathSuffix() + ": ";
      absl::StatusOr<std::vector<crypto::PublicKey>> keys = KeysOf(a, ctx->secrets);
      if (!ctx->digest.ok()) {
        if (IsTransportError(ctx->digest.status())) ctx->transport_error = true;
        entry = absl::Status(ctx->digest.status().code(),
                             prefix + std::string(ctx->digest.status().message()));
      } else if (!keys.ok()) {
        if (IsTransportError(keys.status())) ctx->transport_error = true;
        entry = absl::Status(keys.status().code(), prefix + std::string(keys.status().message()));
      } else {
        const std::string& repo = !a.repository.empty() ? a.repository : ctx->iv.repository;
        absl::StatusOr<std::vector<AttachmentLayer>>* layers =
            ctx->fetcher->Get(repo, AttachmentKind::kSignatures);
        if (!layers->ok()) {
          if (IsTransportError(layers->status())) ctx->transport_error = true;
          entry = absl::Status(layers->status().code(),
                               prefix + std::string(layers->status().message()));
        } else {
          CheckOptions check;
          check.annotations = a.annotations;
          check.hash = a.hash;
          absl::StatusOr<std::vector<VerifiedSignature>> ok =
              VerifyImageSignatures(**layers, *keys, *ctx->digest, check);
          if (!ok.ok()) {
            entry = absl::Status(ok.status().code(), prefix + std::string(ok.status().message()));
          }
        }
      }
    }
    if (entry.ok()) {
      if (++verified >= required) return absl::OkStatus();
    } else {
      errors.push_back(std::string(entry.message()));
    }
  }
  return absl::PermissionDeniedError(absl::StrJoin(errors, "; "));
}

}  // namespace

absl::string_view RuleStatusName(RuleStatus status) {
  switch (status) {
    case RuleStatus::kPass:
      return "pass";
    case RuleStatus::kFail:
      return "fail";
    case RuleStatus::kWarn:
      return "warn";
    case RuleStatus::kError:
      return "error";
    case RuleStatus::kSkip:
      return "skip";
  }
  return "error";
}

std::string Engine::CacheKeyPrefix(const Policy& policy) { return policy.version + "\n"; }

ImageVerdict Engine::VerifyImage(const Policy& policy, const Rule& rule,
                                 const ImageVerification& iv, const ImageInfo& info) const {
  ImageVerdict v;
  const std::string image = info.String();
  const bool has_checks = !iv.attestors.empty() || !iv.attestations.empty();
  absl::StatusOr<oci::Reference> ref = info.Reference();
  if (!ref.ok()) {
    v.status = RuleStatus::kError;
    v.message = absl::StrCat("failed to verify image ", image, ": ", ref.status().message());
    return v;
  }
  // The ONE resolution of this image: everything below uses `digest`.
  absl::StatusOr<oci::Digest> digest = info.digest.empty()
                                           ? options_.images->Resolve(*ref, iv.credentials)
                                           : oci::Digest::Parse(info.digest);
  if (digest.ok()) v.digest = digest->String();
  if (!has_checks) {
    v.has_response = false;
    if (!digest.ok() && iv.mutate_digest) {
      v.has_response = true;
      v.status = RuleStatus::kError;
      v.message = absl::StrCat("failed to update digest: ", digest.status().message());
    }
    return v;
  }
  std::optional<Fetcher> fetcher;
  if (digest.ok()) fetcher.emplace(options_.images, *ref, *digest, iv.credentials);
  SetContext ctx{iv, digest, fetcher.has_value() ? &*fetcher : nullptr, options_.secrets};
  for (size_t i = 0; i < iv.attestors.size(); ++i) {
    absl::Status s = VerifySet(iv.attestors[i], absl::StrCat(".attestors[", i, "]"), &ctx);
    if (!s.ok()) {
      v.status = ctx.transport_error ? RuleStatus::kError : RuleStatus::kFail;
      v.message = absl::StrCat("failed to verify image ", image, ": ", s.message());
      return v;
    }
  }
  if (iv.attestations.empty()) {
    v.message = absl::StrCat("verified image signatures for ", image);
    return v;
  }
  if (!digest.ok()) {  // only reachable with attestations and no attestors
    v.status = IsTransportError(digest.status()) ? RuleStatus::kError : RuleStatus::kFail;
    v.message = absl::StrCat(
        "image attestations verification failed, verifiedCount: 0, "
        "requiredCount: 1, error: ",
        digest.status().message());
    return v;
  }
  ImageInfo pinned = info;
  pinned.digest = digest->String();
  const std::string pinned_image = pinned.String();
  for (size_t i = 0; i < iv.attestations.size(); ++i) {
    const Attestation& att = iv.attestations[i];
    for (size_t j = 0; j < att.attestors.size(); ++j) {
      const AttestorSet& set = att.attestors[j];
      const int required = set.RequiredCount();
      int verified = 0;
      std::vector<std::string> errors;
      for (const Attestor& a : set.entries) {
        // Kyverno prints the attestation index where the entry index belongs; kept for
        // byte-compatible messages.
        std::string entry_path = absl::StrCat(".attestations[", i, "].attestors[", j, "].entries[",
                                              i, "]", a.PathSuffix());
        if (a.kind == Attestor::Kind::kNested) {
          errors.push_back(entry_path + ": nested attestors are not supported for attestations");
          continue;
        }
        absl::StatusOr<std::vector<crypto::PublicKey>> keys = KeysOf(a, options_.secrets);
        if (!keys.ok()) {
          if (IsTransportError(keys.status())) ctx.transport_error = true;
          errors.push_back(std::string(keys.status().message()));
          continue;
        }
        const std::string& repo = !a.repository.empty() ? a.repository : iv.repository;
        absl::StatusOr<std::vector<AttachmentLayer>>* layers =
            fetcher->Get(repo, AttachmentKind::kAttestations);
        if (!layers->ok()) {
          if (IsTransportError(layers->status())) ctx.transport_error = true;
          errors.push_back(std::string(layers->status().message()));
          continue;
        }
        CheckOptions check;
        check.hash = a.hash;
        absl::StatusOr<std::vector<VerifiedAttestation>> atts =
            VerifyImageAttestations(**layers, *keys, *digest, check);
        if (!atts.ok()) {
          errors.push_back(std::string(atts.status().message()));
          continue;
        }
        std::vector<json> predicates;
        std::string statement_error;
        for (const VerifiedAttestation& va : *atts) {
          if (va.predicate_type != att.type) continue;
          json statement = json::parse(va.statement, nullptr, /*allow_exceptions=*/false);
          const json* predicate = statement.is_object() && statement.contains("predicate")
                                      ? &statement["predicate"]
                                      : nullptr;
          if (predicate == nullptr || !predicate->is_object()) {
            statement_error =
                "failed to check attestations: failed to extract predicate from statement";
            break;
          }
          predicates.push_back(*predicate);
        }
        if (!statement_error.empty()) {
          errors.push_back(absl::StrCat(entry_path, ": ", statement_error));
          continue;
        }
        if (predicates.empty()) {
          errors.push_back(
              absl::StrCat(entry_path, ": attestions not found for predicate type ", att.type));
          continue;
        }
        std::string condition_error;
        for (const json& predicate : predicates) {
          EvalContext ectx;
          ectx.predicate = &predicate;
          ConditionResult r = EvaluateConditions(att.conditions, ectx);
          if (!r.passed) {
            condition_error = absl::StrCat("attestation checks failed for ", pinned_image,
                                           " and predicate ", att.type, ": ", r.message);
            break;
          }
        }
        if (!condition_error.empty()) {
          errors.push_back(absl::StrCat(entry_path, ": ", condition_error));
          continue;
        }
        if (++verified >= required) break;
      }
      if (verified < required) {
        v.status = ctx.transport_error ? RuleStatus::kError : RuleStatus::kFail;
        v.message =
            absl::StrCat("image attestations verification failed, verifiedCount: ", verified,
                         ", requiredCount: ", required, ", error: ",
                         errors.empty() ? std::string("attestations verification failed")
                                        : absl::StrJoin(errors, "; "));
        return v;
      }
    }
  }
  v.message = absl::StrCat("verified image attestations for ", pinned_image);
  return v;
}

ImageVerdict Engine::VerifyImageCached(const Policy& policy, const Rule& rule, size_t entry,
                                       const ImageVerification& iv, const ImageInfo& info,
                                       bool* hit) const {
  *hit = false;
  if (options_.cache == nullptr || !iv.use_cache) return VerifyImage(policy, rule, iv, info);
  std::string key =
      absl::StrCat(CacheKeyPrefix(policy), rule.name, "\n", entry, "\n", info.String());
  ImageVerdict v = options_.cache->GetOrCompute(
      key, [&] { return VerifyImage(policy, rule, iv, info); },
      [](const ImageVerdict& r) {
        return r.has_response && r.status == RuleStatus::kPass && !r.digest.empty();
      },
      hit);
  if (*hit) v.message = "verified from cache";
  return v;
}

EngineOutcome Engine::Mutate(const std::vector<Policy>& policies,
                             const AdmissionInput& input) const {
  EngineOutcome out;
  out.patched_object = input.object;
  if (input.operation == "DELETE" || input.operation == "CONNECT" || input.object.is_null()) {
    return out;
  }
  if (!input.subresource.empty() && input.subresource != "ephemeralcontainers") return out;
  json current = input.object;
  json digest_ops = json::array();
  RequestInfo request{input.operation, input.group, input.version, input.kind,
                      input.ns,        input.name,  &current,      input.user};
  for (const Policy& policy : policies) {
    if (!policy.admission) continue;
    if (policy.kind == "Policy" && policy.ns != input.ns) continue;
    for (const Rule& rule : policy.rules) {
      if (!RuleApplies(rule, request)) continue;
      auto result = [&](RuleStatus status, std::string message, bool warning = false) {
        RuleResult r;
        r.policy = policy.name;
        r.rule = rule.name;
        r.status = status;
        r.message = std::move(message);
        r.action = rule.action;
        r.warning = warning;
        out.results.push_back(std::move(r));
      };
      absl::StatusOr<std::vector<ExtractedImage>> images =
          ExtractImages(current, input.kind, &rule.image_extractors);
      if (!images.ok()) {
        result(RuleStatus::kError,
               absl::StrCat("failed to extract images: ", images.status().message()));
        continue;
      }
      bool applied = false;
      for (size_t e = 0; e < rule.verify_images.size(); ++e) {
        const ImageVerification& iv = rule.verify_images[e];
        const bool has_checks = !iv.attestors.empty() || !iv.attestations.empty();
        for (const ExtractedImage& img : *images) {
          const std::string image = img.info.String();
          if (!AnyMatch(iv.image_references, image)) continue;
          applied = true;
          if (input.operation == "UPDATE") {
            const json* before = ValueAt(input.old_object, img.info.pointer);
            const json* now = ValueAt(current, img.info.pointer);
            if (before != nullptr && now != nullptr && *before == *now) {
              if (has_checks) out.image_statuses[image] = "pass";
              continue;
            }
          }
          if (AnyMatch(iv.skip_image_references, image)) {
            out.image_statuses[image] = "skip";
            result(RuleStatus::kSkip,
                   absl::StrCat("skipping image reference image ", image, ", policy ", policy.name,
                                " ruleName ", rule.name),
                   /*warning=*/true);
            continue;
          }
          if (!has_checks && !(iv.mutate_digest && img.info.digest.empty() && !img.transformed)) {
            continue;  // nothing to verify or pin here; the validating webhook checks the rest
          }
          bool hit = false;
          ImageVerdict v = VerifyImageCached(policy, rule, e, iv, img.info, &hit);
          if (hit)
            ++out.cache_hits;
          else if (has_checks)
            ++out.verifications;
          std::string key_image = image;
          if (iv.mutate_digest && img.info.digest.empty() && !v.digest.empty() &&
              !img.transformed) {
            std::string value = img.info.ReferenceWithTag() + "@" + v.digest;
            json op = {{"op", "replace"}, {"path", img.info.pointer}, {"value", value}};
            digest_ops.push_back(op);
            absl::StatusOr<json> next = ApplyPatch(current, json::array({op}));
            if (next.ok()) current = *std::move(next);
            ImageInfo pinned = img.info;
            pinned.digest = v.digest;
            key_image = pinned.String();
            if (!v.has_response) result(RuleStatus::kPass, "mutated image digest");
          }
          if (v.has_response) {
            if (has_checks) {
              out.image_statuses[key_image] = v.status == RuleStatus::kPass ? "pass" : "fail";
            }
            result(v.status, v.message);
          }
        }
      }
      if (policy.apply_one && applied) break;
    }
  }
  // The annotation first, then the digest patches (the order of Kyverno's response).
  json ops = json::array();
  if (!out.image_statuses.empty()) {
    const json* annotations = ValueAt(current, "/metadata/annotations");
    if (annotations == nullptr || !annotations->is_object() || annotations->empty()) {
      ops.push_back({{"op", "add"}, {"path", "/metadata/annotations"}, {"value", json::object()}});
    }
    json statuses = json::object();
    for (const auto& [image, status] : out.image_statuses) statuses[image] = status;
    ops.push_back({{"op", "add"}, {"path", kAnnotationPointer}, {"value", statuses.dump()}});
  }
  for (const json& op : digest_ops) ops.push_back(op);
  out.patch = ops;
  absl::StatusOr<json> patched = ApplyPatch(input.object, ops);
  if (patched.ok()) {
    out.patched_object = *std::move(patched);
  } else {
    RuleResult r;
    r.policy = "hallmark";
    r.rule = "patch";
    r.status = RuleStatus::kError;
    r.message = std::string(patched.status().message());
    out.results.push_back(std::move(r));
  }
  Finish(input, &out);
  return out;
}

EngineOutcome Engine::Validate(const std::vector<Policy>& policies,
                               const AdmissionInput& input) const {
  EngineOutcome out;
  out.patched_object = input.object;
  if (input.operation == "DELETE" || input.operation == "CONNECT" || input.object.is_null()) {
    return out;
  }
  if (!input.subresource.empty() && input.subresource != "ephemeralcontainers") return out;
  const json& object = input.object;
  RequestInfo request{input.operation, input.group, input.version, input.kind,
                      input.ns,        input.name,  &object,       input.user};
  const std::map<std::string, std::string> annotations = Annotations(object);
  for (const Policy& policy : policies) {
    if (!policy.admission) continue;
    if (policy.kind == "Policy" && policy.ns != input.ns) continue;
    for (const Rule& rule : policy.rules) {
      if (!RuleApplies(rule, request)) continue;
      RuleResult r;
      r.policy = policy.name;
      r.rule = rule.name;
      r.action = rule.action;
      absl::StatusOr<std::vector<ExtractedImage>> images =
          ExtractImages(object, input.kind, &rule.image_extractors);
      if (!images.ok()) {
        r.status = RuleStatus::kError;
        r.message = absl::StrCat("failed to extract images: ", images.status().message());
        out.results.push_back(std::move(r));
        continue;
      }
      bool matched = false;
      std::string failure;
      for (const ImageVerification& iv : rule.verify_images) {
        const bool has_checks = !iv.attestors.empty() || !iv.attestations.empty();
        for (const ExtractedImage& img : *images) {
          const std::string image = img.info.String();
          if (!AnyMatch(iv.image_references, image)) continue;
          if (AnyMatch(iv.skip_image_references, image)) continue;
          matched = true;
          if (iv.verify_digest && img.info.digest.empty()) {
            failure = absl::StrCat("missing digest for ", image);
            break;
          }
          if (iv.required && has_checks) {
            if (annotations.empty()) {
              failure = absl::StrCat("unverified image ", image);
              break;
            }
            auto it = annotations.find(std::string(kVerifyImagesAnnotation));
            if (it == annotations.end()) {
              failure = "image is not verified";
              break;
            }
            json data = json::parse(it->second, nullptr, /*allow_exceptions=*/false);
            if (!data.is_object()) {
              failure = "failed to parse image metadata: not a JSON object";
              break;
            }
            auto st = data.find(image);
            bool ok = st != data.end() && ((st->is_string() && (*st == "pass" || *st == "skip")) ||
                                           (st->is_boolean() && st->get<bool>()));
            if (!ok) {
              failure = absl::StrCat("unverified image ", image);
              break;
            }
          }
        }
        if (!failure.empty()) break;
      }
      if (!failure.empty()) {
        r.status = RuleStatus::kFail;
        r.message = std::move(failure);
      } else {
        r.status = matched ? RuleStatus::kPass : RuleStatus::kSkip;
        r.message = "image verified";
      }
      out.results.push_back(std::move(r));
      if (policy.apply_one && matched) break;
    }
  }
  Finish(input, &out);
  return out;
}

void Engine::Finish(const AdmissionInput& input, EngineOutcome* out) const {
  FailureMap failures;
  std::map<std::string, std::string> names;
  for (RuleResult& r : out->results) {
    if (r.status == RuleStatus::kError) out->error = true;
    r.blocking = r.status == RuleStatus::kError ||
                 (r.status == RuleStatus::kFail && r.action == FailureAction::kEnforce);
    if (r.blocking) out->allowed = false;
    if (r.status != RuleStatus::kPass && r.status != RuleStatus::kSkip) {
      failures[r.policy][r.rule] = r.message;
    }
  }
  if (!out->allowed) {
    out->message = BlockedMessage(input.kind, input.ns, input.name, failures);
    out->patch = json::array();
    out->patched_object = input.object;
    return;
  }
  for (const RuleResult& r : out->results) {
    if ((r.status != RuleStatus::kPass && r.status != RuleStatus::kSkip) || r.warning) {
      out->warnings.push_back(absl::StrCat("policy ", r.policy, ".", r.rule, ": ", r.message));
    }
  }
}

}  // namespace hallmark::verifier::policy
