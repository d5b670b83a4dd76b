#include "tests/apiserver/strategic_merge_patch.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/apiserver/json_util.h"

namespace hallmark::tests::apiserver {
namespace {

constexpr absl::string_view kPatchDirective = "$patch";
constexpr absl::string_view kRetainKeys = "$retainKeys";
constexpr absl::string_view kSetElementOrder = "$setElementOrder/";
constexpr absl::string_view kDeleteFromPrimitiveList = "$deleteFromPrimitiveList/";
constexpr int kMaxDepth = 100;

absl::Status Bad(std::string message) { return absl::InvalidArgumentError(std::move(message)); }

class Patcher {
 public:
  explicit Patcher(const SchemaSet& set) : set_(set) {}

  absl::StatusOr<json> MergeMap(const json& original, const json& patch, const json* schema,
                                int depth) {
    if (depth > kMaxDepth) return Bad("strategic merge patch nested too deeply");
    if (!patch.is_object()) return Bad("invalid strategic merge patch: expected an object");
    if (const json* d = Member(patch, kPatchDirective); d != nullptr) {
      if (!d->is_string()) return Bad("invalid $patch directive");
      std::string directive = d->get<std::string>();
      if (directive == "replace") {
        json copy = patch;
        copy.erase(std::string(kPatchDirective));
        return Clean(copy, schema, depth);
      }
      if (directive == "delete") return json();  // caller removes the key
      if (directive != "merge") {
        return Bad(absl::StrCat("Unknown patch type: ", directive, " in map: ", Dump(patch)));
      }
    }
    json result = original.is_object() ? original : json::object();
    // $deleteFromPrimitiveList/<field>
    for (auto it = patch.begin(); it != patch.end(); ++it) {
      if (!absl::StartsWith(it.key(), kDeleteFromPrimitiveList)) continue;
      std::string field = it.key().substr(kDeleteFromPrimitiveList.size());
      if (!it.value().is_array()) return Bad("invalid $deleteFromPrimitiveList directive");
      json* list = MutableMember(result, field);
      if (list == nullptr || !list->is_array()) continue;
      json kept = json::array();
      for (const auto& v : *list) {
        if (std::find(it.value().begin(), it.value().end(), v) == it.value().end()) {
          kept.push_back(v);
        }
      }
      *list = std::move(kept);
    }
    for (auto it = patch.begin(); it != patch.end(); ++it) {
      const std::string& key = it.key();
      if (absl::StartsWith(key, "$")) continue;  // directives
      PatchMeta meta;
      const json* field_schema = FieldSchema(set_, schema, key, &meta);
      const json& pv = it.value();
      if (pv.is_null()) {
        result.erase(key);
        continue;
      }
      auto existing = result.find(key);
      if (existing == result.end() || existing->is_null()) {
        absl::StatusOr<json> cleaned = CleanValue(pv, field_schema, meta, depth + 1);
        if (!cleaned.ok()) return cleaned.status();
        if (cleaned->is_null()) {
          result.erase(key);
        } else {
          result[key] = std::move(*cleaned);
        }
        continue;
      }
      if (pv.is_object() && existing->is_object()) {
        absl::StatusOr<json> merged = MergeMap(*existing, pv, field_schema, depth + 1);
        if (!merged.ok()) return merged.status();
        if (merged->is_null()) {
          result.erase(key);
        } else {
          *existing = std::move(*merged);
        }
        continue;
      }
      if (pv.is_array() && existing->is_array()) {
        absl::StatusOr<json> merged = MergeList(*existing, pv, field_schema, meta, depth + 1);
        if (!merged.ok()) return merged.status();
        *existing = std::move(*merged);
        continue;
      }
      absl::StatusOr<json> cleaned = CleanValue(pv, field_schema, meta, depth + 1);
      if (!cleaned.ok()) return cleaned.status();
      *existing = std::move(*cleaned);
    }
    // $setElementOrder/<field>
    for (auto it = patch.begin(); it != patch.end(); ++it) {
      if (!absl::StartsWith(it.key(), kSetElementOrder)) continue;
      std::string field = it.key().substr(kSetElementOrder.size());
      if (!it.value().is_array()) return Bad("invalid $setElementOrder directive");
      json* list = MutableMember(result, field);
      if (list == nullptr || !list->is_array()) continue;
      PatchMeta meta;
      FieldSchema(set_, schema, field, &meta);
      Reorder(list, it.value(), meta.merge_key);
    }
    // $retainKeys: fields not listed are cleared.
    if (const json* retain = Member(patch, kRetainKeys); retain != nullptr) {
      if (!retain->is_array()) return Bad("invalid $retainKeys directive");
      std::set<std::string> keep;
      for (const auto& k : *retain) {
        if (k.is_string()) keep.insert(k.get<std::string>());
      }
      std::vector<std::string> drop;
      for (auto it = result.begin(); it != result.end(); ++it) {
        if (keep.count(it.key()) == 0) drop.push_back(it.key());
      }
      for (const auto& k : drop) result.erase(k);
    }
    return result;
  }

 private:
  absl::StatusOr<json> MergeList(const json& original, const json& patch, const json* schema,
                                 const PatchMeta& meta, int depth) {
    if (!meta.merge) return CleanValue(patch, schema, meta, depth);
    const json* item_schema = ItemSchema(set_, schema);
    // A `{"$patch": "replace"}` element replaces the whole list with the other elements.
    for (const auto& e : patch) {
      const json* d = e.is_object() ? Member(e, kPatchDirective) : nullptr;
      if (d != nullptr && d->is_string() && d->get<std::string>() == "replace") {
        json rest = json::array();
        for (const auto& x : patch) {
          if (&x != &e) rest.push_back(x);
        }
        PatchMeta plain;
        return CleanValue(rest, schema, plain, depth);
      }
    }
    json result = original;
    if (meta.merge_key.empty()) {
      // A set of primitives (e.g. finalizers): union, keeping the original order.
      for (const auto& e : patch) {
        if (e.is_object()) return Bad("invalid list element in a merge list without merge key");
        if (std::find(result.begin(), result.end(), e) == result.end()) result.push_back(e);
      }
      return result;
    }
    for (const auto& e : patch) {
      if (!e.is_object()) {
        return Bad(absl::StrCat("map: ", Dump(e),
                                " does not contain declared merge key: ", meta.merge_key));
      }
      const json* key = Member(e, meta.merge_key);
      if (key == nullptr) {
        return Bad(absl::StrCat("map: ", Dump(e),
                                " does not contain declared merge key: ", meta.merge_key));
      }
      auto match = std::find_if(result.begin(), result.end(), [&](const json& o) {
        const json* k = Member(o, meta.merge_key);
        return k != nullptr && *k == *key;
      });
      const json* d = Member(e, kPatchDirective);
      if (d != nullptr && d->is_string() && d->get<std::string>() == "delete") {
        if (match != result.end()) result.erase(match);
        continue;
      }
      if (match == result.end()) {
        absl::StatusOr<json> cleaned = MergeMap(json::object(), e, item_schema, depth + 1);
        if (!cleaned.ok()) return cleaned.status();
        result.push_back(std::move(*cleaned));
      } else {
        absl::StatusOr<json> merged = MergeMap(*match, e, item_schema, depth + 1);
        if (!merged.ok()) return merged.status();
        *match = std::move(*merged);
      }
    }
    return result;
  }

  // CleanValue: a patch value placed where nothing existed: directives are resolved against an
  // empty original.
  absl::StatusOr<json> CleanValue(const json& value, const json* schema, const PatchMeta& meta,
                                  int depth) {
    if (depth > kMaxDepth) return Bad("strategic merge patch nested too deeply");
    if (value.is_object()) return MergeMap(json::object(), value, schema, depth);
    if (value.is_array()) {
      if (meta.merge) return MergeList(json::array(), value, schema, meta, depth);
      const json* item_schema = ItemSchema(set_, schema);
      json out = json::array();
      for (const auto& e : value) {
        if (e.is_object()) {
          absl::StatusOr<json> cleaned = MergeMap(json::object(), e, item_schema, depth + 1);
          if (!cleaned.ok()) return cleaned.status();
          out.push_back(std::move(*cleaned));
        } else {
          out.push_back(e);
        }
      }
      return out;
    }
    return value;
  }

  absl::StatusOr<json> Clean(const json& value, const json* schema, int depth) {
    return CleanValue(value, schema, PatchMeta{}, depth);
  }

  static void Reorder(json* list, const json& order, const std::string& merge_key) {
    auto key_of = [&](const json& e) -> json {
      if (merge_key.empty()) return e;
      const json* k = Member(e, merge_key);
      return k == nullptr ? json() : *k;
    };
    json ordered = json::array();
    std::vector<bool> used(list->size(), false);
    for (const auto& o : order) {
      json want = key_of(o);
      for (size_t i = 0; i < list->size(); ++i) {
        if (!used[i] && key_of((*list)[i]) == want) {
          ordered.push_back((*list)[i]);
          used[i] = true;
          break;
        }
      }
    }
    for (size_t i = 0; i < list->size(); ++i) {
      if (!used[i]) ordered.push_back((*list)[i]);
    }
    *list = std::move(ordered);
  }

  const SchemaSet& set_;
};

}  // namespace

absl::StatusOr<json> ApplyStrategicMergePatch(const json& original, const json& patch,
                                              const SchemaSet& set, const json* schema) {
  if (!patch.is_object()) {
    return absl::InvalidArgumentError("invalid strategic merge patch: expected a JSON object");
  }
  Patcher patcher(set);
  absl::StatusOr<json> result = patcher.MergeMap(original, patch, schema, 0);
  if (!result.ok()) return result.status();
  if (result->is_null()) return json::object();
  return result;
}

}  // namespace hallmark::tests::apiserver
