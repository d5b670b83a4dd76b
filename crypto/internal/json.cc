#include "crypto/internal/json.h"

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace hallmark::crypto::internal {

absl::StatusOr<nlohmann::json> ParseJson(absl::string_view text, const JsonParseOptions& options) {
  std::vector<std::set<std::string>> keys;  // one set per open object
  std::string duplicate;
  bool has_duplicate = false;
  bool too_deep = false;
  nlohmann::json::parser_callback_t callback = [&](int depth, nlohmann::json::parse_event_t event,
                                                   nlohmann::json& parsed) {
    if (depth > options.max_depth) too_deep = true;
    if (!options.reject_duplicate_keys) return true;
    switch (event) {
      case nlohmann::json::parse_event_t::object_start:
        keys.emplace_back();
        break;
      case nlohmann::json::parse_event_t::key:
        if (!keys.empty() && parsed.is_string() &&
            !keys.back().insert(parsed.get_ref<const std::string&>()).second && !has_duplicate) {
          has_duplicate = true;
          duplicate = parsed.get_ref<const std::string&>().substr(0, 64);
        }
        break;
      case nlohmann::json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        break;
      default:
        break;
    }
    return true;
  };
  nlohmann::json doc = nlohmann::json::parse(text.begin(), text.end(), callback,
                                             /*allow_exceptions=*/false);
  if (doc.is_discarded()) return absl::InvalidArgumentError("malformed JSON");
  if (too_deep) {
    return absl::InvalidArgumentError(
        absl::StrCat("JSON nested deeper than ", options.max_depth, " levels"));
  }
  if (has_duplicate) {
    return absl::InvalidArgumentError(absl::StrCat("duplicate key \"", duplicate, "\""));
  }
  return doc;
}

}  // namespace hallmark::crypto::internal
