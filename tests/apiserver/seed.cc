#include "tests/apiserver/seed.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "tests/apiserver/json_util.h"

namespace hallmark::tests::apiserver {
namespace {

constexpr size_t kMaxManifestBytes = 64 * 1024 * 1024;

void Flatten(json obj, std::vector<json>* out) {
  const json* items = Member(obj, "items");
  std::string kind = StringAt(obj, {"kind"});
  if (items != nullptr && items->is_array() && absl::EndsWith(kind, "List")) {
    for (const auto& item : *items) Flatten(item, out);
    return;
  }
  out->push_back(std::move(obj));
}

}  // namespace

absl::StatusOr<std::vector<json>> ParseManifests(absl::string_view text, absl::string_view source) {
  // JSON is YAML, but a JSON document parses faster and with better messages as JSON.
  absl::StatusOr<std::vector<json>> docs;
  absl::StatusOr<json> as_json = ParseJson(text);
  if (as_json.ok()) {
    docs = std::vector<json>{std::move(*as_json)};
  } else {
    docs = ParseKubeYamlDocuments(text);
  }
  if (!docs.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", docs.status().message()));
  }
  std::vector<json> out;
  for (auto& d : *docs) {
    if (d.is_null()) continue;
    if (!d.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": a manifest must be an object"));
    }
    Flatten(std::move(d), &out);
  }
  return out;
}

absl::StatusOr<std::vector<json>> LoadManifests(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("seed path ", path, " does not exist"));
  }
  std::vector<json> out;
  if (S_ISDIR(st.st_mode)) {
    std::vector<std::string> names;
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
    while (struct dirent* e = ::readdir(dir)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      names.push_back(name);
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
      std::string child = absl::StrCat(path, "/", name);
      struct stat cst;
      if (::stat(child.c_str(), &cst) != 0) continue;
      if (!S_ISDIR(cst.st_mode) && !absl::EndsWith(name, ".yaml") &&
          !absl::EndsWith(name, ".yml") && !absl::EndsWith(name, ".json")) {
        continue;
      }
      absl::StatusOr<std::vector<json>> sub = LoadManifests(child);
      if (!sub.ok()) return sub.status();
      for (auto& o : *sub) out.push_back(std::move(o));
    }
    return out;
  }
  absl::StatusOr<std::string> text = ReadFile(path, kMaxManifestBytes);
  if (!text.ok()) return text.status();
  return ParseManifests(*text, path);
}

}  // namespace hallmark::tests::apiserver
