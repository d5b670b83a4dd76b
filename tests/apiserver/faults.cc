#include "tests/apiserver/faults.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "tests/apiserver/json_util.h"

namespace hallmark::tests::apiserver {

absl::StatusOr<FaultRule> FaultRule::Parse(const json& body) {
  if (!body.is_object()) return absl::InvalidArgumentError("fault rule must be a JSON object");
  FaultRule r;
  r.path_pattern = StringAt(body, {"path"});
  if (r.path_pattern.empty()) return absl::InvalidArgumentError("fault rule needs \"path\"");
  r.method = absl::AsciiStrToUpper(StringAt(body, {"method"}));
  r.verb = absl::AsciiStrToLower(StringAt(body, {"verb"}));
  r.message = StringAt(body, {"message"});
  if (const json* e = Member(body, "exception"); e != nullptr) {
    if (!e->is_string() || e->get_ref<const std::string&>().empty()) {
      return absl::InvalidArgumentError("fault rule \"exception\" must be a non-empty string");
    }
    r.exception = e->get_ref<const std::string&>();
  }
  auto int_at = [&](const char* key, int def, int* out) -> absl::Status {
    const json* v = Member(body, key);
    if (v == nullptr) {
      *out = def;
      return absl::OkStatus();
    }
    if (!v->is_number_integer()) {
      return absl::InvalidArgumentError(
          absl::StrCat("fault rule \"", key, "\" must be an integer"));
    }
    *out = v->get<int>();
    return absl::OkStatus();
  };
  absl::Status s = int_at("code", 0, &r.code);
  if (s.ok()) s = int_at("retryAfter", 0, &r.retry_after);
  if (s.ok()) s = int_at("count", 1, &r.count);
  if (!s.ok()) return s;
  const json* stall = Member(body, "stallSeconds");
  if (stall != nullptr) {
    if (!stall->is_number()) return absl::InvalidArgumentError("\"stallSeconds\" must be a number");
    r.stall = absl::Seconds(stall->get<double>());
  }
  if (r.code != 0 && (r.code < 400 || r.code > 599)) {
    return absl::InvalidArgumentError("fault rule \"code\" must be 400..599");
  }
  if (r.code == 0 && r.stall <= absl::ZeroDuration() && r.exception.empty()) {
    return absl::InvalidArgumentError(
        "fault rule needs \"code\", \"stallSeconds\" or \"exception\"");
  }
  try {
    r.regex = std::regex(r.path_pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return absl::InvalidArgumentError(absl::StrCat("bad path regex: ", e.what()));
  }
  return r;
}

json FaultRule::ToJson() const {
  json j = {{"path", path_pattern}, {"count", count}};
  if (!method.empty()) j["method"] = method;
  if (!verb.empty()) j["verb"] = verb;
  if (code != 0) j["code"] = code;
  if (retry_after != 0) j["retryAfter"] = retry_after;
  if (stall > absl::ZeroDuration()) j["stallSeconds"] = absl::ToDoubleSeconds(stall);
  if (!exception.empty()) j["exception"] = exception;
  return j;
}

void FaultInjector::Add(FaultRule rule) {
  absl::MutexLock lock(&mu_);
  rules_.push_back(std::move(rule));
}

void FaultInjector::Clear() {
  absl::MutexLock lock(&mu_);
  rules_.clear();
}

json FaultInjector::List() const {
  absl::MutexLock lock(&mu_);
  json list = json::array();
  for (const auto& r : rules_) list.push_back(r.ToJson());
  return {{"rules", list}};
}

std::optional<FaultAction> FaultInjector::Take(const std::string& method, const std::string& path,
                                               const std::string& verb) {
  absl::MutexLock lock(&mu_);
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if (!it->method.empty() && it->method != method) continue;
    if (!it->verb.empty() && it->verb != verb) continue;
    bool match = false;
    try {
      match = std::regex_match(path, it->regex);
    } catch (const std::regex_error&) {
      match = false;
    }
    if (!match) continue;
    FaultAction action{it->stall, it->code, it->retry_after, it->message, it->exception};
    if (it->count > 0 && --it->count == 0) rules_.erase(it);
    return action;
  }
  return std::nullopt;
}

}  // namespace hallmark::tests::apiserver
