// File: tests/apiserver/selector.h
//
// Label and field selectors with apimachinery's grammar and semantics (pkg/labels, pkg/fields):
//
//   HM_ASSIGN_OR_RETURN(LabelSelector s, LabelSelector::Parse("app=web,tier notin (db),!legacy"));
//   if (s.Matches(labels)) ...
//
// Label requirements: `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`,
// `k>1`, `k<1`. `!=` and `notin` also match objects without the label. Field requirements:
// `f=v`, `f==v`, `f!=v` (values may escape `\,` `\=` `\\`).
#ifndef HALLMARK_TESTS_APISERVER_SELECTOR_H_
#define HALLMARK_TESTS_APISERVER_SELECTOR_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace hallmark::tests::apiserver {

using Labels = std::map<std::string, std::string>;

class LabelSelector {
 public:
  enum class Op { kExists, kDoesNotExist, kEquals, kNotEquals, kIn, kNotIn, kGreater, kLess };
  struct Requirement {
    std::string key;
    Op op;
    std::vector<std::string> values;
  };

  // Everything: the empty selector (matches every object).
  LabelSelector() = default;

  // Parse: the `labelSelector` query parameter. kInvalidArgument with apimachinery's wording
  // ("unable to parse requirement: ...", "found '...', expected: ...") on bad input.
  static absl::StatusOr<LabelSelector> Parse(absl::string_view text);

  // FromJson: a metav1.LabelSelector object ({matchLabels, matchExpressions}); null or absent
  // means everything (the admission webhook default). kInvalidArgument on a bad operator.
  static absl::StatusOr<LabelSelector> FromJson(const nlohmann::json& selector);

  bool Matches(const Labels& labels) const;
  bool Empty() const { return requirements_.empty(); }
  const std::vector<Requirement>& requirements() const { return requirements_; }

 private:
  std::vector<Requirement> requirements_;
};

class FieldSelector {
 public:
  struct Requirement {
    std::string field;
    bool equals;  // false: !=
    std::string value;
  };

  FieldSelector() = default;

  // Parse: the `fieldSelector` query parameter. kInvalidArgument on bad syntax.
  static absl::StatusOr<FieldSelector> Parse(absl::string_view text);

  // Matches: a field missing from `fields` compares as "".
  bool Matches(const std::map<std::string, std::string>& fields) const;
  bool Empty() const { return requirements_.empty(); }
  const std::vector<Requirement>& requirements() const { return requirements_; }
  // RequiresExactMatch: the value of the first `field=value` (or `==`) term, as fields.Selector's
  // RequiresExactMatch; nullopt if there is none.
  std::optional<std::string> RequiresExactMatch(absl::string_view field) const;

 private:
  std::vector<Requirement> requirements_;
};

// Validation helpers shared with metadata validation (apimachinery pkg/util/validation); each
// returns the list of problems, empty when valid.
std::vector<std::string> IsQualifiedName(absl::string_view value);
std::vector<std::string> IsValidLabelValue(absl::string_view value);
std::vector<std::string> IsDns1123Subdomain(absl::string_view value);
std::vector<std::string> IsDns1123Label(absl::string_view value);
// IsConfigMapKey: a key of ConfigMap data/binaryData and Secret data.
std::vector<std::string> IsConfigMapKey(absl::string_view value);

}  // namespace hallmark::tests::apiserver

#endif  // HALLMARK_TESTS_APISERVER_SELECTOR_H_
