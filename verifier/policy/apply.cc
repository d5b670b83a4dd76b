#include "verifier/policy/apply.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "base/yaml_json.h"

namespace hallmark::verifier::policy {

using nlohmann::json;

namespace {

std::string StringAt(const json& j, const char* a, const char* b = nullptr) {
  const json* cur = &j;
  for (const char* k : {a, b}) {
    if (k == nullptr) break;
    if (!cur->is_object() || !cur->contains(k)) return "";
    cur = &(*cur)[k];
  }
  return cur->is_string() ? cur->get<std::string>() : "";
}

absl::StatusOr<std::vector<std::string>> Expand(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0)
    return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  if (!S_ISDIR(st.st_mode)) return std::vector<std::string>{path};
  std::vector<std::string> files;
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr)
    return absl::PermissionDeniedError(absl::StrCat(path, ": cannot read folder"));
  while (dirent* e = readdir(dir)) {
    std::string name = e->d_name;
    if (absl::StartsWith(name, ".")) continue;
    if (absl::EndsWith(name, ".yaml") || absl::EndsWith(name, ".yml") ||
        absl::EndsWith(name, ".json")) {
      files.push_back(absl::StrCat(path, "/", name));
    }
  }
  closedir(dir);
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

absl::StatusOr<std::vector<Policy>> LoadPolicyFiles(const std::vector<std::string>& paths,
                                                    const LoadOptions& options) {
  std::vector<Policy> out;
  for (const std::string& path : paths) {
    HM_ASSIGN_OR_RETURN(std::vector<std::string> files, Expand(path));
    for (const std::string& file : files) {
      HM_ASSIGN_OR_RETURN(std::string text, ReadFile(file, kMaxPolicyBytes + 1));
      absl::StatusOr<std::vector<Policy>> policies = ParsePolicies(text, options);
      if (!policies.ok()) {
        return absl::Status(policies.status().code(),
                            absl::StrCat(file, ": ", policies.status().message()));
      }
      for (Policy& p : *policies) out.push_back(std::move(p));
    }
  }
  return out;
}

absl::StatusOr<std::vector<json>> LoadResourceFiles(const std::vector<std::string>& paths) {
  std::vector<json> out;
  for (const std::string& path : paths) {
    HM_ASSIGN_OR_RETURN(std::vector<std::string> files, Expand(path));
    for (const std::string& file : files) {
      HM_ASSIGN_OR_RETURN(std::string text, ReadFile(file, 16 << 20));
      absl::StatusOr<std::vector<json>> docs = ParseYamlOrJson(text);
      if (!docs.ok()) {
        return absl::Status(docs.status().code(),
                            absl::StrCat(file, ": ", docs.status().message()));
      }
      for (json& d : *docs) {
        if (d.is_object() && d.contains("kind") && d["kind"] == "List" && d.contains("items") &&
            d["items"].is_array()) {
          for (json& item : d["items"]) out.push_back(std::move(item));
        } else {
          out.push_back(std::move(d));
        }
      }
    }
  }
  return out;
}

ApplyReport ApplyPolicies(const Engine& engine, const std::vector<Policy>& policies,
                          const std::vector<json>& resources) {
  ApplyReport report;
  for (const Policy& p : policies) report.rules += p.rules.size();
  for (const json& resource : resources) {
    ResourceOutcome out;
    out.kind = StringAt(resource, "kind");
    out.name = StringAt(resource, "metadata", "name");
    out.ns = StringAt(resource, "metadata", "namespace");
    if (out.ns.empty()) out.ns = "default";
    out.patched = resource;
    if (out.kind.empty() || out.name.empty()) {
      RuleResult r;
      r.policy = "-";
      r.rule = "-";
      r.status = RuleStatus::kError;
      r.message = "resource without kind or metadata.name";
      out.results.push_back(r);
      ++report.error;
      report.enforce_failure = true;
      report.resources.push_back(std::move(out));
      continue;
    }
    AdmissionInput in;
    std::string api_version = StringAt(resource, "apiVersion");
    size_t slash = api_version.find('/');
    in.group = slash == std::string::npos ? "" : api_version.substr(0, slash);
    in.version = slash == std::string::npos ? api_version : api_version.substr(slash + 1);
    in.kind = out.kind;
    in.ns = out.ns;
    in.name = out.name;
    in.object = resource;
    EngineOutcome mutated = engine.Mutate(policies, in);
    out.results = mutated.results;
    if (mutated.allowed) {
      out.patched = mutated.patched_object;
      in.object = mutated.patched_object;
      EngineOutcome validated = engine.Validate(policies, in);
      for (RuleResult& r : validated.results) {
        // A rule that already has a mutate-side result reports that; add only what validation
        // found on top (a failure, or the result of rules without verification).
        bool seen = false;
        for (const RuleResult& m : out.results)
          seen = seen || (m.policy == r.policy && m.rule == r.rule);
        if (!seen || r.status == RuleStatus::kFail || r.status == RuleStatus::kError) {
          out.results.push_back(r);
        }
      }
      out.blocked = !validated.allowed;
      out.message = validated.message;
    } else {
      out.blocked = true;
      out.message = mutated.message;
    }
    // One result per (policy, rule), the worst one (Kyverno reports a rule once per resource).
    std::map<std::pair<std::string, std::string>, RuleResult> per_rule;
    auto rank = [](RuleStatus s) {
      switch (s) {
        case RuleStatus::kError:
          return 4;
        case RuleStatus::kFail:
          return 3;
        case RuleStatus::kWarn:
          return 2;
        case RuleStatus::kPass:
          return 1;
        case RuleStatus::kSkip:
          return 0;
      }
      return 0;
    };
    std::vector<std::pair<std::string, std::string>> order;
    for (RuleResult& r : out.results) {
      auto key = std::make_pair(r.policy, r.rule);
      auto it = per_rule.find(key);
      if (it == per_rule.end()) {
        order.push_back(key);
        per_rule.emplace(key, r);
      } else if (rank(r.status) >= rank(it->second.status)) {
        it->second = r;
      }
    }
    out.results.clear();
    for (const auto& key : order) out.results.push_back(per_rule.at(key));
    for (const RuleResult& r : out.results) {
      switch (r.status) {
        case RuleStatus::kPass:
          ++report.pass;
          break;
        case RuleStatus::kFail:
          ++report.fail;
          break;
        case RuleStatus::kWarn:
          ++report.warn;
          break;
        case RuleStatus::kError:
          ++report.error;
          break;
        case RuleStatus::kSkip:
          ++report.skip;
          break;
      }
      if ((r.status == RuleStatus::kFail && r.action == FailureAction::kEnforce) ||
          r.status == RuleStatus::kError) {
        report.enforce_failure = true;
      }
    }
    report.resources.push_back(std::move(out));
  }
  return report;
}

std::string FormatApplyReport(const ApplyReport& report) {
  std::string out = absl::StrCat("Applying ", report.rules, " policy rule(s) to ",
                                 report.resources.size(), " resource(s)...\n");
  for (const ResourceOutcome& res : report.resources) {
    std::map<std::string, std::vector<const RuleResult*>> failed;  // by policy
    std::vector<std::string> policy_order;
    for (const RuleResult& r : res.results) {
      if (r.status != RuleStatus::kFail && r.status != RuleStatus::kError) continue;
      if (failed.find(r.policy) == failed.end()) policy_order.push_back(r.policy);
      failed[r.policy].push_back(&r);
    }
    for (const std::string& p : policy_order) {
      absl::StrAppend(&out, "\npolicy ", p, " -> resource ", res.ns, "/", res.kind, "/", res.name,
                      " failed:\n");
      int i = 0;
      for (const RuleResult* r : failed[p]) {
        absl::StrAppend(&out, ++i, ". ", r->rule, ": ", r->message, "\n");
      }
    }
  }
  absl::StrAppend(&out, "\npass: ", report.pass, ", fail: ", report.fail, ", warn: ", report.warn,
                  ", error: ", report.error, ", skip: ", report.skip, "\n");
  return out;
}

}  // namespace hallmark::verifier::policy
