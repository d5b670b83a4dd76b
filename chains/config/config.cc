#include "chains/config/config.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace hallmark::chains::config {
namespace {

constexpr absl::string_view kPrefix = "chains-config: ";

// Errors collects the first invalid value and the first unsupported one; invalid wins (Chains
// would refuse that ConfigMap outright).
class Errors {
 public:
  void Invalid(absl::string_view key, absl::string_view value, absl::string_view why) {
    if (invalid_.ok()) {
      invalid_ = absl::InvalidArgumentError(
          absl::StrCat(kPrefix, key, ": invalid value \"", value, "\": ", why));
    }
  }
  void Unsupported(absl::string_view key, absl::string_view value, absl::string_view supported) {
    if (unsupported_.ok()) {
      unsupported_ = absl::UnimplementedError(
          absl::StrCat(kPrefix, key, ": \"", value,
                       "\" is not supported by hallmark (supported: ", supported, ")"));
    }
  }
  absl::Status Result() const { return invalid_.ok() ? unsupported_ : invalid_; }

 private:
  absl::Status invalid_;
  absl::Status unsupported_;
};

const std::string* Find(const std::map<std::string, std::string>& data, absl::string_view key) {
  auto it = data.find(std::string(key));
  return it == data.end() ? nullptr : &it->second;
}

void ParseStorage(const std::map<std::string, std::string>& data, absl::string_view key,
                  bool kafka_allowed, std::set<std::string>* out, Errors* errors) {
  const std::string* value = Find(data, key);
  if (value == nullptr) return;  // default kept
  out->clear();
  for (absl::string_view part : absl::StrSplit(*value, ',')) {
    std::string name(absl::StripAsciiWhitespace(part));
    if (name.empty()) continue;
    if (name == kStorageTekton || name == kStorageOci) {
      out->insert(name);
    } else if (name == "gcs" || name == "docdb" || name == "grafeas" || name == "archivista" ||
               (kafka_allowed && name == "kafka")) {
      errors->Unsupported(key, name, "oci, tekton");
    } else {
      errors->Invalid(key, name,
                      kafka_allowed
                          ? "wanted a comma-separated set of tekton, oci, gcs, docdb, grafeas, "
                            "kafka, archivista"
                          : "wanted a comma-separated set of tekton, oci, gcs, docdb, grafeas, "
                            "archivista");
    }
  }
}

void ParseSigner(const std::map<std::string, std::string>& data, absl::string_view key, bool* x509,
                 Errors* errors) {
  const std::string* value = Find(data, key);
  if (value == nullptr) return;
  if (*value == "x509") {
    *x509 = true;
  } else if (*value == "none") {
    *x509 = false;
  } else if (*value == "kms") {
    errors->Unsupported(key, *value, "x509, none");
  } else {
    errors->Invalid(key, *value, "wanted one of [x509 kms none]");
  }
}

void ParseFormatKey(const std::map<std::string, std::string>& data, absl::string_view key,
                    formats::Format* format, Errors* errors) {
  const std::string* value = Find(data, key);
  if (value == nullptr) return;
  absl::StatusOr<formats::Format> parsed = formats::ParseFormat(*value);
  if (!parsed.ok()) {
    errors->Invalid(key, *value, "wanted one of [in-toto slsa/v1 slsa/v2alpha3 slsa/v2alpha4]");
    return;
  }
  *format = *parsed;
}

void ParseBoolKey(const std::map<std::string, std::string>& data, absl::string_view key, bool* out,
                  Errors* errors) {
  const std::string* value = Find(data, key);
  if (value == nullptr) return;
  std::optional<bool> parsed = ParseBool(*value);
  if (!parsed.has_value()) {
    errors->Invalid(key, *value, "wanted a boolean (true or false)");
    return;
  }
  *out = *parsed;
}

std::string StorageList(const std::set<std::string>& storage) {
  return storage.empty() ? "none" : absl::StrJoin(storage, ",");
}

}  // namespace

std::optional<bool> ParseBool(absl::string_view text) {
  if (text == "1" || text == "t" || text == "T" || text == "TRUE" || text == "true" ||
      text == "True") {
    return true;
  }
  if (text == "0" || text == "f" || text == "F" || text == "FALSE" || text == "false" ||
      text == "False") {
    return false;
  }
  return std::nullopt;
}

absl::StatusOr<Config> Config::Parse(const std::map<std::string, std::string>& data) {
  Config c;
  c.taskrun.storage = {std::string(kStorageTekton)};
  c.pipelinerun.storage = {std::string(kStorageTekton)};
  c.oci.storage = {std::string(kStorageOci)};
  Errors errors;

  ParseFormatKey(data, "artifacts.taskrun.format", &c.taskrun.format, &errors);
  ParseStorage(data, "artifacts.taskrun.storage", /*kafka_allowed=*/true, &c.taskrun.storage,
               &errors);
  ParseSigner(data, "artifacts.taskrun.signer", &c.taskrun.signer_x509, &errors);

  ParseFormatKey(data, "artifacts.pipelinerun.format", &c.pipelinerun.format, &errors);
  ParseStorage(data, "artifacts.pipelinerun.storage", /*kafka_allowed=*/false,
               &c.pipelinerun.storage, &errors);
  ParseSigner(data, "artifacts.pipelinerun.signer", &c.pipelinerun.signer_x509, &errors);
  ParseBoolKey(data, "artifacts.pipelinerun.enable-deep-inspection", &c.deep_inspection, &errors);

  if (const std::string* v = Find(data, "artifacts.oci.format");
      v != nullptr && *v != "simplesigning") {
    errors.Invalid("artifacts.oci.format", *v, "wanted one of [simplesigning]");
  }
  ParseStorage(data, "artifacts.oci.storage", /*kafka_allowed=*/true, &c.oci.storage, &errors);
  ParseSigner(data, "artifacts.oci.signer", &c.oci.signer_x509, &errors);

  if (const std::string* v = Find(data, "storage.oci.repository"); v != nullptr && !v->empty()) {
    absl::StatusOr<oci::Repository> repo = oci::Repository::Parse(*v);
    if (repo.ok()) {
      c.oci_repository = *std::move(repo);
    } else {
      errors.Invalid("storage.oci.repository", *v, repo.status().message());
    }
  }
  ParseBoolKey(data, "storage.oci.repository.insecure", &c.oci_repository_insecure, &errors);
  if (const std::string* v = Find(data, "storage.oci.encoding-format"); v != nullptr) {
    if (*v == "sigstore-bundle") {
      errors.Unsupported("storage.oci.encoding-format", *v, "dsse");
    } else if (*v != "dsse") {
      errors.Invalid("storage.oci.encoding-format", *v, "wanted one of [dsse sigstore-bundle]");
    }
  }

  if (const std::string* v = Find(data, "transparency.enabled"); v != nullptr) {
    std::optional<bool> on = ParseBool(*v);
    if (*v == "manual" || on == std::optional<bool>(true)) {
      errors.Unsupported("transparency.enabled", *v, "false");
    } else if (!on.has_value()) {
      // Chains treats anything unrecognised as "off"; an operator who typed "yes" meant on.
      errors.Invalid("transparency.enabled", *v, "wanted true, false or manual");
    }
  }
  bool fulcio = false;
  ParseBoolKey(data, "signers.x509.fulcio.enabled", &fulcio, &errors);
  if (fulcio) {
    errors.Unsupported("signers.x509.fulcio.enabled", *Find(data, "signers.x509.fulcio.enabled"),
                       "false (keyless signing is not implemented)");
  }

  if (const std::string* v = Find(data, "builder.id"); v != nullptr && !v->empty()) {
    c.builder_id = *v;
  }
  if (const std::string* v = Find(data, "builddefinition.buildtype"); v != nullptr && !v->empty()) {
    if (*v != formats::kSlsaBuildType && *v != formats::kSlsaTektonBuildType) {
      errors.Invalid("builddefinition.buildtype", *v,
                     absl::StrCat("wanted one of [", formats::kSlsaBuildType, " ",
                                  formats::kSlsaTektonBuildType, "]"));
    } else {
      c.build_type = *v;
    }
  }

  absl::Status status = errors.Result();
  if (!status.ok()) return status;
  return c;
}

formats::FormatOptions Config::TaskRunFormat() const {
  formats::FormatOptions o;
  o.format = taskrun.format;
  o.builder_id = builder_id;
  o.build_type = build_type;
  o.deep_inspection = deep_inspection;
  return o;
}

formats::FormatOptions Config::PipelineRunFormat() const {
  formats::FormatOptions o = TaskRunFormat();
  o.format = pipelinerun.format;
  return o;
}

bool Config::UsesStorage(absl::string_view backend) const {
  for (const ArtifactConfig* a : {&taskrun, &pipelinerun, &oci}) {
    if (a->Enabled() && a->Stores(backend)) return true;
  }
  return false;
}

bool Config::NeedsSigner() const {
  return taskrun.Enabled() || pipelinerun.Enabled() || oci.Enabled();
}

std::string Config::Summary() const {
  auto type = [](const ArtifactConfig& a, bool with_format) {
    if (!a.Enabled()) return std::string("off");
    return absl::StrCat(with_format ? formats::FormatName(a.format) : "simplesigning", "->",
                        StorageList(a.storage));
  };
  return absl::StrCat("taskrun=", type(taskrun, true), " pipelinerun=", type(pipelinerun, true),
                      " oci=", type(oci, false), " deep-inspection=", deep_inspection,
                      " repository=", oci_repository ? oci_repository->String() : "(image's)",
                      oci_repository_insecure ? " (insecure)" : "");
}

bool operator==(const Config& a, const Config& b) {
  auto same = [](const ArtifactConfig& x, const ArtifactConfig& y) {
    return x.format == y.format && x.storage == y.storage && x.signer_x509 == y.signer_x509;
  };
  return same(a.taskrun, b.taskrun) && same(a.pipelinerun, b.pipelinerun) && same(a.oci, b.oci) &&
         a.deep_inspection == b.deep_inspection && a.oci_repository == b.oci_repository &&
         a.oci_repository_insecure == b.oci_repository_insecure && a.builder_id == b.builder_id &&
         a.build_type == b.build_type;
}

}  // namespace hallmark::chains::config
