#include "chains/artifacts/extract.h"

#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "chains/artifacts/digest.h"

namespace hallmark::chains::artifacts {
namespace {

constexpr size_t kQuoteMax = 120;

std::string Quote(absl::string_view text) {
  if (text.size() <= kQuoteMax) return absl::StrCat("\"", text, "\"");
  return absl::StrCat("\"", text.substr(0, kQuoteMax), "...\"");
}

void Note(Report* report, const std::string& scope, const Result& r, Outcome outcome,
          std::string detail) {
  if (report != nullptr) report->Add(scope, r.name, outcome, std::move(detail));
}

std::string OversizedDetail(const Result& r) {
  return absl::StrCat("value is larger than the ", kMaxResultValueBytes,
                      "-byte limit for type hints");
}

std::string DigestText(const DigestSet& digest) {
  std::string out;
  for (const auto& [alg, hex] : digest) {
    absl::StrAppend(&out, out.empty() ? "" : ",", alg, ":", hex);
  }
  return out;
}

// StringHint: the trimmed string value of a type-hint result, or nullopt (noted) if it is too
// large, not a string or empty. Chains reads ParamValue.StringVal, which is "" for non-strings.
std::optional<std::string> StringHint(const std::string& scope, const Result& r, Report* report) {
  if (r.oversized) {
    Note(report, scope, r, Outcome::kRejected, OversizedDetail(r));
    return std::nullopt;
  }
  if (r.value.type != ParamValue::Type::kString) {
    Note(report, scope, r, Outcome::kRejected,
         absl::StrCat("value is an ", r.value.TypeName(), ", not a string"));
    return std::nullopt;
  }
  absl::string_view trimmed = absl::StripAsciiWhitespace(r.value.string_value);
  if (trimmed.empty()) {
    Note(report, scope, r, Outcome::kRejected, "value is empty");
    return std::nullopt;
  }
  return std::string(trimmed);
}

struct Pair {
  std::string uri;
  std::string digest;
  const Result* uri_result = nullptr;
  const Result* digest_result = nullptr;
};

// CollectPairs: results named `<prefix><uri_suffix>` and `<prefix><digest_suffix>`, by prefix.
// Only complete pairs are returned; halves without a partner are noted and dropped.
std::map<std::string, Pair> CollectPairs(const ResultSource& source, absl::string_view uri_suffix,
                                         absl::string_view digest_suffix, Report* report) {
  std::map<std::string, Pair> pairs;
  for (const Result* r : source.results) {
    for (bool is_uri : {true, false}) {
      absl::string_view suffix = is_uri ? uri_suffix : digest_suffix;
      if (!absl::EndsWith(r->name, suffix)) continue;
      std::optional<std::string> value = StringHint(source.scope, *r, report);
      if (!value) continue;
      Pair& pair = pairs[r->name.substr(0, r->name.size() - suffix.size())];
      if (is_uri) {
        pair.uri = *std::move(value);
        pair.uri_result = r;
      } else {
        pair.digest = *std::move(value);
        pair.digest_result = r;
      }
    }
  }
  std::map<std::string, Pair> complete;
  for (auto& [prefix, pair] : pairs) {
    if (pair.uri_result == nullptr) {
      Note(report, source.scope, *pair.digest_result, Outcome::kRejected,
           absl::StrCat("no matching ", prefix, uri_suffix, " result"));
    } else if (pair.digest_result == nullptr) {
      Note(report, source.scope, *pair.uri_result, Outcome::kRejected,
           absl::StrCat("no matching ", prefix, digest_suffix, " result"));
    } else {
      complete.emplace(prefix, std::move(pair));
    }
  }
  return complete;
}

// ParseImage: `<url>@<digest>` as go-containerregistry's name.NewDigest, with the stricter image
// digest rule; the tag, if any, is dropped.
absl::StatusOr<oci::Reference> ParseImage(absl::string_view reference) {
  absl::StatusOr<oci::Reference> ref = oci::Reference::Parse(reference);
  if (!ref.ok()) return ref.status();
  if (!ref->has_digest()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Quote(reference), " has no @sha256:<hex> digest"));
  }
  if (!oci::IsValidImageDigest(ref->digest()->String())) {
    return absl::InvalidArgumentError(
        absl::StrCat("image digest in ", Quote(reference), " is not sha256:<64 lower-case hex>"));
  }
  return ref->WithDigest(*ref->digest());
}

// ParseStructured: the {uri, digest} of a `*ARTIFACT_OUTPUTS` / `*ARTIFACT_INPUTS` object.
absl::StatusOr<Artifact> ParseStructured(const Result& r) {
  if (r.value.type != ParamValue::Type::kObject) {
    return absl::InvalidArgumentError(
        absl::StrCat("value is an ", r.value.TypeName(), ", not an object with uri and digest"));
  }
  const StringMap& object = r.value.object_value;
  auto uri = object.find("uri");
  auto digest = object.find("digest");
  if (uri == object.end() || uri->second.empty()) {
    return absl::InvalidArgumentError("object has no uri");
  }
  if (digest == object.end() || digest->second.empty()) {
    return absl::InvalidArgumentError("object has no digest");
  }
  absl::StatusOr<ArtifactDigest> parsed = ParseArtifactDigest(digest->second);
  if (!parsed.ok()) return parsed.status();
  return Artifact{uri->second, DigestSet{{parsed->algorithm, parsed->hex}}};
}

bool IsBuildArtifactObject(const Result& r) {
  if (r.value.type != ParamValue::Type::kObject) return false;
  auto it = r.value.object_value.find("isBuildArtifact");
  return it != r.value.object_value.end() && it->second == "true";
}

// BuildArtifacts: as ExtractBuildArtifacts; outputs that are not build artifacts are noted only
// when `note_non_build`.
std::vector<std::pair<const Result*, Artifact>> BuildArtifacts(const ResultSource& source,
                                                               Report* report,
                                                               bool note_non_build) {
  std::vector<std::pair<const Result*, Artifact>> out;
  for (const Result* r : source.results) {
    if (!absl::EndsWith(r->name, kArtifactOutputsSuffix)) continue;
    if (r->oversized) {
      Note(report, source.scope, *r, Outcome::kRejected, OversizedDetail(*r));
      continue;
    }
    absl::StatusOr<bool> build = IsBuildArtifact(*r);
    if (!build.ok()) {
      Note(report, source.scope, *r, Outcome::kRejected, std::string(build.status().message()));
      continue;
    }
    if (!*build) {
      if (note_non_build) {
        Note(report, source.scope, *r, Outcome::kIgnored,
             "isBuildArtifact is not \"true\": not a build artifact");
      }
      continue;
    }
    absl::StatusOr<Artifact> artifact = ParseStructured(*r);
    if (!artifact.ok()) continue;  // IsBuildArtifact already validated it
    out.emplace_back(r, *std::move(artifact));
  }
  return out;
}

bool SameArtifact(const Artifact& a, const Artifact& b) {
  if (a.name != b.name) return false;
  for (const auto& [alg, hex] : a.digest) {
    auto it = b.digest.find(alg);
    if (it != b.digest.end() && it->second == hex) return true;
  }
  return false;
}

Artifact ImageArtifact(const ImageTarget& image) {
  return Artifact{image.Name(), DigestSet{{"sha256", image.image.digest()->hex()}}};
}

}  // namespace

void AppendArtifact(std::vector<Artifact>* list, Artifact item) {
  for (Artifact& existing : *list) {
    if (SameArtifact(existing, item)) {
      for (auto& [alg, hex] : item.digest) existing.digest[alg] = hex;
      return;
    }
  }
  list->push_back(std::move(item));
}

void AppendArtifacts(std::vector<Artifact>* list, const std::vector<Artifact>& items) {
  for (const Artifact& item : items) AppendArtifact(list, item);
}

std::string TaskRunScope(const TaskRun& run) {
  return run.metadata.name.empty() ? "taskrun" : absl::StrCat("taskrun/", run.metadata.name);
}

ResultSource TaskRunResults(const TaskRun& run) {
  ResultSource source{TaskRunScope(run), {}};
  for (const Result& r : run.status.results) source.results.push_back(&r);
  return source;
}

ResultSource StepResults(const TaskRun& run, const StepState& step) {
  ResultSource source{absl::StrCat(TaskRunScope(run), "/step/", step.name), {}};
  for (const Result& r : step.results) source.results.push_back(&r);
  return source;
}

ResultSource PipelineRunResults(const PipelineRun& run) {
  ResultSource source{run.metadata.name.empty() ? std::string("pipelinerun")
                                                : absl::StrCat("pipelinerun/", run.metadata.name),
                      {}};
  for (const Result& r : run.status.results) source.results.push_back(&r);
  return source;
}

std::vector<ImageTarget> ExtractOciImages(const ResultSource& source, Report* report) {
  std::vector<ImageTarget> images;
  std::set<std::string> seen;
  // add keeps a new image; `partner` is the other half of an IMAGE_URL/IMAGE_DIGEST pair.
  const auto add = [&](const Result& r, const Result* partner, oci::Reference ref,
                       const std::string& how) {
    ImageTarget target{std::move(ref), r.name};
    std::string key = absl::StrCat(target.Name(), "@", target.Digest());
    bool fresh = seen.insert(key).second;
    std::string detail = absl::StrCat("OCI image ", key, " (", how, fresh ? ")" : ", duplicate)");
    Note(report, source.scope, r, Outcome::kArtifact, detail);
    if (partner != nullptr) Note(report, source.scope, *partner, Outcome::kArtifact, detail);
    if (fresh) images.push_back(std::move(target));
  };

  // A: *IMAGE_URL + *IMAGE_DIGEST.
  for (const auto& [prefix, pair] :
       CollectPairs(source, kImageUrlSuffix, kImageDigestSuffix, report)) {
    absl::StatusOr<oci::Reference> ref = ParseImage(absl::StrCat(pair.uri, "@", pair.digest));
    if (!ref.ok()) {
      std::string why(ref.status().message());
      Note(report, source.scope, *pair.uri_result, Outcome::kRejected, why);
      Note(report, source.scope, *pair.digest_result, Outcome::kRejected, why);
      continue;
    }
    add(*pair.uri_result, pair.digest_result, *std::move(ref),
        absl::StrCat(pair.uri_result->name, " + ", pair.digest_result->name));
  }

  // B: IMAGES.
  for (const Result* r : source.results) {
    if (r->name != kImagesResult) continue;
    std::optional<std::string> value = StringHint(source.scope, *r, report);
    if (!value) continue;
    for (absl::string_view entry : absl::StrSplit(*value, absl::ByAnyChar(",\n"))) {
      entry = absl::StripAsciiWhitespace(entry);
      if (entry.empty()) continue;
      absl::StatusOr<oci::Reference> ref = ParseImage(entry);
      if (!ref.ok()) {
        Note(report, source.scope, *r, Outcome::kRejected,
             absl::StrCat("entry ", Quote(entry), ": ", ref.status().message()));
        continue;
      }
      add(*r, nullptr, *std::move(ref), "IMAGES entry");
    }
  }

  // C: build artifacts that are images.
  for (const auto& [r, artifact] : BuildArtifacts(source, report, /*note_non_build=*/false)) {
    const std::string& digest = artifact.digest.begin()->second;
    std::string text =
        absl::StrCat(artifact.name, "@", artifact.digest.begin()->first, ":", digest);
    absl::StatusOr<oci::Reference> ref = ParseImage(text);
    if (!ref.ok()) {
      Note(report, source.scope, *r, Outcome::kIgnored,
           absl::StrCat("build artifact is not an OCI image: ", ref.status().message()));
      continue;
    }
    add(*r, nullptr, *std::move(ref), "build artifact");
  }
  return images;
}

std::vector<Artifact> ExtractArtifactUriDigests(const ResultSource& source, Report* report) {
  std::vector<Artifact> out;
  for (const auto& [prefix, pair] :
       CollectPairs(source, kArtifactUriSuffix, kArtifactDigestSuffix, report)) {
    absl::StatusOr<ArtifactDigest> digest = ParseArtifactDigest(pair.digest);
    if (!digest.ok()) {
      std::string why(digest.status().message());
      Note(report, source.scope, *pair.uri_result, Outcome::kRejected, why);
      Note(report, source.scope, *pair.digest_result, Outcome::kRejected, why);
      continue;
    }
    Artifact artifact{pair.uri, DigestSet{{digest->algorithm, digest->hex}}};
    std::string detail = absl::StrCat("artifact ", artifact.name, " ", DigestText(artifact.digest));
    Note(report, source.scope, *pair.uri_result, Outcome::kArtifact, detail);
    Note(report, source.scope, *pair.digest_result, Outcome::kArtifact, detail);
    out.push_back(std::move(artifact));
  }
  return out;
}

std::vector<Artifact> ExtractStructured(const ResultSource& source, absl::string_view suffix,
                                        Report* report) {
  const bool inputs = suffix == kArtifactInputsSuffix;
  std::vector<Artifact> out;
  for (const Result* r : source.results) {
    if (!absl::EndsWith(r->name, suffix)) continue;
    if (r->oversized) {
      Note(report, source.scope, *r, Outcome::kRejected, OversizedDetail(*r));
      continue;
    }
    absl::StatusOr<Artifact> artifact = ParseStructured(*r);
    if (!artifact.ok()) {
      Note(report, source.scope, *r, Outcome::kRejected, std::string(artifact.status().message()));
      continue;
    }
    Note(report, source.scope, *r, inputs ? Outcome::kInput : Outcome::kArtifact,
         absl::StrCat(inputs ? "input " : "artifact ", artifact->name, " ",
                      DigestText(artifact->digest)));
    out.push_back(*std::move(artifact));
  }
  return out;
}

absl::StatusOr<bool> IsBuildArtifact(const Result& result) {
  if (!absl::EndsWith(result.name, kArtifactOutputsSuffix)) return false;
  if (result.value.type != ParamValue::Type::kObject) {
    return absl::InvalidArgumentError(
        absl::StrCat("value is an ", result.value.TypeName(), ", not an object"));
  }
  if (!IsBuildArtifactObject(result)) return false;
  absl::StatusOr<Artifact> artifact = ParseStructured(result);
  if (!artifact.ok()) return artifact.status();
  return true;
}

std::vector<Artifact> ExtractBuildArtifacts(const ResultSource& source, Report* report) {
  std::vector<Artifact> out;
  for (auto& [r, artifact] : BuildArtifacts(source, report, /*note_non_build=*/true)) {
    Note(report, source.scope, *r, Outcome::kArtifact,
         absl::StrCat("build artifact ", artifact.name, " ", DigestText(artifact.digest)));
    out.push_back(std::move(artifact));
  }
  return out;
}

std::vector<Artifact> SubjectsFromResults(const ResultSource& source, Report* report) {
  std::vector<Artifact> subjects;
  for (const ImageTarget& image : ExtractOciImages(source, report)) {
    AppendArtifact(&subjects, ImageArtifact(image));
  }
  AppendArtifacts(&subjects, ExtractArtifactUriDigests(source, report));
  AppendArtifacts(&subjects, ExtractStructured(source, kArtifactOutputsSuffix, report));
  return subjects;
}

std::vector<Artifact> SubjectsFromBuildArtifacts(const ResultSource& source, Report* report) {
  std::vector<Artifact> subjects;
  AppendArtifacts(&subjects, ExtractBuildArtifacts(source, report));
  for (const ImageTarget& image : ExtractOciImages(source, report)) {
    AppendArtifact(&subjects, ImageArtifact(image));
  }
  return subjects;
}

absl::StatusOr<SigningTargets> ExtractSigningTargets(const TaskRun& run) {
  SigningTargets targets;
  ResultSource source = TaskRunResults(run);
  for (const Result* r : source.results) {
    targets.report.Mention(source.scope, r->name, "not an image type hint");
  }
  targets.images = ExtractOciImages(source, &targets.report);
  if (targets.images.size() > kMaxImagesPerRun) {
    return absl::InvalidArgumentError(absl::StrCat(TaskRunScope(run), " names ",
                                                   targets.images.size(), " images; the limit is ",
                                                   kMaxImagesPerRun, " per run"));
  }
  return targets;
}

}  // namespace hallmark::chains::artifacts
