// File: chains/config/config.h
//
// Config: the `chains-config` ConfigMap, with Tekton Chains' keys, defaults and validation
// (reference/chains.md §1), restricted to what Hallmark implements. Parsing is pure: the agent
// watches the ConfigMap and decides what to do with the result (chains/agent).
//
// Two kinds of errors, because they call for different reactions:
//  - kInvalidArgument: a value Chains would reject too (`artifacts.taskrun.format: tekton`,
//    an unknown storage name, a bad boolean, a bad repository). Like Chains' config store, the
//    agent keeps the previous configuration and says why. (Chains silently ignores an
//    unparseable boolean and takes the default; we refuse the whole ConfigMap instead.)
//  - kUnimplemented: a value Chains accepts but Hallmark does not implement (gcs, docdb,
//    grafeas, kafka and archivista storage; the kms signer; keyless Fulcio signing;
//    transparency.enabled true/manual; storage.oci.encoding-format sigstore-bundle). The agent
//    adopts this configuration as "unusable": runs WAIT (never signed, never failed) with an
//    Event naming the key and value, until the ConfigMap is fixed. Signing to a backend the
//    operator did not ask for, or marking runs signed with nothing stored, would both be worse.
// Messages name the key and the value, e.g.
//   `chains-config: artifacts.taskrun.storage: "gcs" is not supported by hallmark (supported: oci,
//   tekton)`.
// Unknown keys are ignored, as in Chains.
#ifndef HALLMARK_CHAINS_CONFIG_CONFIG_H_
#define HALLMARK_CHAINS_CONFIG_CONFIG_H_

#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "chains/formats/options.h"
#include "oci/registry_client.h"

namespace hallmark::chains::config {

// Storage backend names Hallmark implements.
inline constexpr absl::string_view kStorageTekton = "tekton";
inline constexpr absl::string_view kStorageOci = "oci";

// One artifact type (`artifacts.taskrun.*`, `artifacts.pipelinerun.*`, `artifacts.oci.*`).
struct ArtifactConfig {
  // The provenance format (TaskRun and PipelineRun types; unused for oci).
  formats::Format format = formats::Format::kSlsaV02;
  // `storage`: a subset of {oci, tekton}; empty when the key is "" (type disabled).
  std::set<std::string> storage;
  // `signer`: x509 (true) or none (false: the type is disabled, as in Chains).
  bool signer_x509 = true;

  // Enabled: Chains' rule: the signer is not `none` and the storage is not "".
  bool Enabled() const { return signer_x509 && !storage.empty(); }
  bool Stores(absl::string_view backend) const { return storage.count(std::string(backend)) > 0; }
};

struct Config {
  ArtifactConfig taskrun;        // default format in-toto, storage tekton
  ArtifactConfig pipelinerun;    // default format in-toto, storage tekton
  ArtifactConfig oci;            // default storage oci (format: simplesigning, the only one)
  bool deep_inspection = false;  // artifacts.pipelinerun.enable-deep-inspection
  // storage.oci.repository: where `.sig` / `.att` go instead of the image's repository.
  std::optional<oci::Repository> oci_repository;
  bool oci_repository_insecure = false;  // storage.oci.repository.insecure
  std::string builder_id = std::string(formats::kDefaultBuilderId);
  std::string build_type = std::string(formats::kSlsaBuildType);

  // Parse: the ConfigMap's `data` (absent ConfigMap: an empty map, i.e. every default). Errors
  // as described in the file comment.
  static absl::StatusOr<Config> Parse(const std::map<std::string, std::string>& data);

  // The format options for TaskRun / PipelineRun statements.
  formats::FormatOptions TaskRunFormat() const;
  formats::FormatOptions PipelineRunFormat() const;
  // UsesStorage: any enabled artifact type stores to `backend`.
  bool UsesStorage(absl::string_view backend) const;
  // NeedsSigner: any artifact type is enabled (all signers are x509 = the signing-secrets key).
  bool NeedsSigner() const;
  // Summary: one line for logs, e.g. "taskrun=slsa/v1->oci,tekton pipelinerun=... oci=oci".
  std::string Summary() const;

  friend bool operator==(const Config& a, const Config& b);
  friend bool operator!=(const Config& a, const Config& b) { return !(a == b); }
};

// ParseBool: Go's strconv.ParseBool (1, t, T, TRUE, true, True / 0, f, F, FALSE, false, False).
std::optional<bool> ParseBool(absl::string_view text);

}  // namespace hallmark::chains::config

#endif  // HALLMARK_CHAINS_CONFIG_CONFIG_H_
