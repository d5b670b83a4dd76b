#include "verifier/policy/image_info.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace hallmark::verifier::policy {
namespace {

// Kyverno's addDefaultRegistry: a first element with `.` or `:`, `localhost`, or any upper-case
// letter is a registry; otherwise docker.io is prepended.
std::string AddDefaultRegistry(absl::string_view image) {
  size_t slash = image.find('/');
  if (slash == absl::string_view::npos) return absl::StrCat(kKyvernoDefaultRegistry, "/", image);
  absl::string_view first = image.substr(0, slash);
  bool is_registry = first.find_first_of(".:") != absl::string_view::npos || first == "localhost" ||
                     absl::AsciiStrToLower(first) != first;
  if (!is_registry) return absl::StrCat(kKyvernoDefaultRegistry, "/", image);
  return std::string(image);
}

}  // namespace

absl::StatusOr<ImageInfo> ImageInfo::Parse(absl::string_view image) {
  if (image.size() > oci::kMaxReferenceLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad image: longer than ", oci::kMaxReferenceLength, " characters"));
  }
  const std::string full = AddDefaultRegistry(image);
  // The distribution grammar is oci::Reference's; its normalisation is not used, only its
  // verdict, then the text is split the way distribution's reference package does.
  absl::StatusOr<oci::Reference> checked = oci::Reference::Parse(full);
  if (!checked.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad image: ", full, ": ", checked.status().message()));
  }
  ImageInfo info;
  absl::string_view rest = full;
  if (size_t at = rest.find('@'); at != absl::string_view::npos) {
    info.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
  }
  size_t last_slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != absl::string_view::npos && colon > last_slash) {
    info.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
  }
  size_t slash = rest.find('/');  // AddDefaultRegistry guarantees one
  info.registry = std::string(rest.substr(0, slash));
  info.path = std::string(rest.substr(slash + 1));
  info.name =
      info.path.substr(info.path.rfind('/') == std::string::npos ? 0 : info.path.rfind('/') + 1);
  if (info.tag.empty() && info.digest.empty()) info.tag = "latest";
  return info;
}

std::string ImageInfo::String() const {
  if (!digest.empty()) return absl::StrCat(registry, "/", path, "@", digest);
  return absl::StrCat(registry, "/", path, ":", tag);
}

std::string ImageInfo::ReferenceWithTag() const {
  return absl::StrCat(registry, "/", path, ":", tag.empty() ? "latest" : tag);
}

absl::StatusOr<oci::Reference> ImageInfo::Reference() const {
  std::string text = absl::StrCat(registry, "/", path);
  if (!tag.empty()) absl::StrAppend(&text, ":", tag);
  if (!digest.empty()) absl::StrAppend(&text, "@", digest);
  return oci::Reference::Parse(text);
}

}  // namespace hallmark::verifier::policy
