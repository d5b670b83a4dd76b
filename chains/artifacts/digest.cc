#include "chains/artifacts/digest.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "oci/reference.h"

namespace hallmark::chains::artifacts {
namespace {

std::string Quote(absl::string_view text) {
  constexpr size_t kMax = 80;
  if (text.size() <= kMax) return absl::StrCat("\"", text, "\"");
  return absl::StrCat("\"", text.substr(0, kMax), "...\"");
}

}  // namespace

absl::StatusOr<ArtifactDigest> ParseArtifactDigest(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  if (parts.size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("digest ", Quote(text), " is not in the form <algorithm>:<hex>"));
  }
  ArtifactDigest digest;
  digest.algorithm = absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[0]));
  digest.hex = std::string(absl::StripAsciiWhitespace(parts[1]));
  if (digest.algorithm == "sha1") {
    bool ok = digest.hex.size() == 40;
    for (char c : digest.hex) ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("sha1 digest ", Quote(text), " is not 40 lower-case hex digits"));
    }
    return digest;
  }
  if (digest.algorithm != "sha256" && digest.algorithm != "sha384" &&
      digest.algorithm != "sha512") {
    return absl::InvalidArgumentError(absl::StrCat(
        "digest ", Quote(text), " has an unsupported algorithm (sha256, sha384, sha512, sha1)"));
  }
  absl::StatusOr<oci::Digest> parsed =
      oci::Digest::Parse(absl::StrCat(digest.algorithm, ":", digest.hex));
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("digest ", Quote(text), " is invalid: ", parsed.status().message()));
  }
  return digest;
}

}  // namespace hallmark::chains::artifacts
