// File: tests/e2e/agent_harness.h
//
// AgentHarness: everything an end-to-end test of `hallmark agent` needs, all real: the
// hallmark-apiserver binary (with a request log), Debian's docker-registry, and the agent run as
// the built `hallmark` binary against them - plus helpers to create completed runs the way Tekton
// does (create, then patch the /status subresource), to wait for annotations, to count `.sig` /
// `.att` layers, and to verify what the agent pushed with `hallmark verify`, the openssl CLI and
// python3-securesystemslib.
//
// Every harness makes a fresh signing key: ECDSA P-256 as an encrypted cosign.key with a random
// 24-character password (and, for rotation tests, further keys, possibly as x509.pem).
// NoSecretsInLogs() checks that neither the password nor any encoding of a private key appears
// in the agent's logs; every e2e fixture calls it in TearDown.
#ifndef HALLMARK_TESTS_E2E_AGENT_HARNESS_H_
#define HALLMARK_TESTS_E2E_AGENT_HARNESS_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/testing/process.h"
#include "crypto/private_key.h"
#include "kube/http_kube_client.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"
#include "oci/registry_client.h"
#include "tests/apiserver/testing/apiserver_process.h"
#include "tests/registry/registry_server.h"

namespace hallmark::tests::e2e {

// The agent's system namespace and the namespace test runs live in.
inline constexpr char kSystemNamespace[] = "tekton-chains";
inline constexpr char kRunNamespace[] = "ci";

struct SigningKey {
  explicit SigningKey(crypto::PrivateKey k) : key(std::move(k)) {}
  crypto::PrivateKey key;
  std::string password;     // random, 24 characters
  std::string cosign_key;   // encrypted PEM (legacy scrypt parameters: fast tests)
  std::string x509_pem;     // the same key as unencrypted PKCS#8 PEM
  std::string public_pem;   // cosign.pub
  std::string public_path;  // cosign.pub written to a file
  // Every text form of the private key that must never reach a log.
  std::vector<std::string> secrets;
};

struct HarnessOptions {
  // chains-config data; by default everything goes to OCI (taskrun, pipelinerun, oci).
  std::map<std::string, std::string> config = {{"artifacts.taskrun.storage", "oci"},
                                               {"artifacts.pipelinerun.storage", "oci"},
                                               {"artifacts.oci.storage", "oci"}};
  bool create_config = true;
  bool create_secret = true;
  // Give the agent the key as a mounted folder (--signing-secrets-dir) instead of the Secret.
  bool secrets_in_dir = false;
  bool start_agent = true;
  // Appended to the agent's command line (after the harness's defaults, so they win).
  std::vector<std::string> agent_args;
  std::vector<std::string> apiserver_args;
  // Non-empty: the API server requires bearer tokens; the agent reads this one from a file
  // (kubeconfig `tokenFile`, as in-cluster), the harness uses an admin token of its own.
  // RotateAgentToken replaces it.
  std::string agent_token;
  // The registry (e.g. htpasswd auth). With users, the harness itself (PushImage, Layers,
  // Hallmark verify) acts as the first user; the agent gets no credentials unless the test
  // gives it some (its DOCKER_CONFIG stays empty). Every user's password counts as a secret for
  // NoSecretsInLogs.
  registry::RegistryServerOptions registry;
};

struct RunSpec {
  std::string name;
  std::string ns = kRunNamespace;
  nlohmann::json results = nlohmann::json::array();
  std::string succeeded = "True";  // the Succeeded condition's status
  nlohmann::json labels = nlohmann::json::object();
  nlohmann::json annotations = nlohmann::json::object();
  nlohmann::json owner_references = nlohmann::json::array();
  nlohmann::json extra_status = nlohmann::json::object();  // merged into status
  nlohmann::json spec = nlohmann::json::object();          // default: a taskRef/pipelineRef
};

class AgentHarness {
 public:
  static absl::StatusOr<std::unique_ptr<AgentHarness>> Start(HarnessOptions options = {});
  ~AgentHarness();

  // ---- the agent process ----
  // StartAgent: a new agent process (the previous one must be stopped); waits until /readyz
  // says 200. `extra` is appended to the default arguments and options.agent_args.
  absl::Status StartAgent(const std::vector<std::string>& extra = {});
  // StartAgentNoWait: the same without waiting for readiness; returns the process index.
  absl::StatusOr<int> StartAgentNoWait(const std::vector<std::string>& extra = {});
  int StopAgent(int index = -1);   // SIGTERM; returns the exit code
  void KillAgent(int index = -1);  // SIGKILL
  bool AgentRunning(int index = -1);
  hallmark::testing::BackgroundProcess* agent(int index = -1);
  int metrics_port(int index = -1) const;
  // AgentLogs: what every agent process printed so far.
  std::string AgentLogs() const;
  // Metrics / Readyz: GET on the agent's ops port.
  absl::StatusOr<std::string> Metrics(int index = -1) const;
  absl::StatusOr<std::pair<int, std::string>> Readyz(int index = -1) const;
  // MetricValue: the value of the sample line `name` (e.g. `watcher_taskrun_marked_signed_total`
  // or `x{error_type="storage"}`), 0 when absent.
  absl::StatusOr<double> MetricValue(const std::string& name, int index = -1) const;
  // WaitForMetric: polls MetricValue until it equals `want` (for up to 10 s) and returns the last
  // value read. The agent counts a run as marked once the patch's answer is back, a moment after
  // a watcher can see the annotation: read counters through this after WaitForSigned.
  absl::StatusOr<double> WaitForMetric(const std::string& name, double want, int index = -1) const;

  // ---- keys, config ----
  const SigningKey& key() const { return *key_; }
  absl::StatusOr<SigningKey> NewKey() const;
  // PutSigningSecret: create or replace signing-secrets (or the mounted folder) with `key` as
  // cosign.key + cosign.password, or as x509.pem.
  absl::Status PutSigningSecret(const SigningKey& key, bool as_x509 = false);
  absl::Status DeleteSigningSecret();
  absl::Status PutConfig(const std::map<std::string, std::string>& data);

  // ---- runs ----
  // CompleteTaskRun / CompletePipelineRun: create the run, then patch its status (Succeeded,
  // startTime, completionTime, results) through the status subresource.
  absl::StatusOr<nlohmann::json> CompleteTaskRun(const RunSpec& run);
  absl::StatusOr<nlohmann::json> CompletePipelineRun(const RunSpec& run);
  absl::StatusOr<nlohmann::json> Get(const kube::Resource& resource, const std::string& name,
                                     const std::string& ns = kRunNamespace);
  // WaitForAnnotation: polls until `key` has `value` (kDeadlineExceeded with the last state).
  absl::StatusOr<nlohmann::json> WaitForAnnotation(const kube::Resource& resource,
                                                   const std::string& name, const std::string& key,
                                                   const std::string& value,
                                                   absl::Duration timeout = absl::Seconds(20),
                                                   const std::string& ns = kRunNamespace);
  absl::StatusOr<nlohmann::json> WaitForSigned(const kube::Resource& resource,
                                               const std::string& name,
                                               absl::Duration timeout = absl::Seconds(20));
  // Events: the Events about object `name` in `ns`.
  absl::StatusOr<std::vector<nlohmann::json>> Events(const std::string& name,
                                                     const std::string& ns = kRunNamespace);

  // ---- registry ----
  registry::RegistryServer& registry() { return *registry_; }
  // PushImage: an image at <registry>/<repository>:<tag>; returns "<registry>/<repo>@sha256:...".
  absl::StatusOr<std::string> PushImage(const std::string& repository, const std::string& tag,
                                        const std::string& seed);
  // Layers: the layers of `image`'s `.sig` (suffix "sig") or `.att` tag; empty if none.
  absl::StatusOr<std::vector<oci::Descriptor>> Layers(const std::string& image,
                                                      const std::string& suffix);
  absl::StatusOr<int> CountLayers(const std::string& image, const std::string& suffix);
  // Tags: every tag of <registry>/<repository>.
  absl::StatusOr<std::vector<std::string>> Tags(const std::string& repository);
  // Hallmark: runs the `hallmark` CLI.
  absl::StatusOr<hallmark::testing::CommandResult> Hallmark(const std::vector<std::string>& args);
  // VerifyImage: `hallmark verify` and openssl over every `.sig` layer, with `public_path`.
  absl::Status VerifyImage(const std::string& image, const std::string& public_path);
  // VerifyAttestation: `hallmark verify-attestation --type <type>` and securesystemslib over every
  // `.att` layer. Returns the statements (parsed) of the layers.
  absl::StatusOr<std::vector<nlohmann::json>> VerifyAttestation(const std::string& image,
                                                                const std::string& public_path,
                                                                const std::string& type);
  // VerifyEnvelope: securesystemslib over one DSSE envelope (e.g. from the tekton backend's
  // signature annotation); returns its statement.
  absl::StatusOr<nlohmann::json> VerifyEnvelope(const std::string& envelope,
                                                const std::string& public_path);

  // ---- the API server ----
  apiserver::testing::ApiserverProcess& api() { return *api_; }
  kube::HttpKubeClient& kube() { return *kube_; }
  const std::string& dir() const { return dir_; }
  // RotateAgentToken: the agent's token file gets `token` and the API server stops accepting the
  // old one (options.agent_token must have been set). RestartApiserver: the API server stops and
  // starts again on the same port with the same arguments (pass `--data FILE` in
  // options.apiserver_args to keep the store).
  absl::Status RotateAgentToken(const std::string& token);
  absl::Status RestartApiserver();
  // AgentRequests: the request-log entries sent by the agent (user agent hallmark-agent*).
  absl::StatusOr<std::vector<nlohmann::json>> AgentRequests();

  // NoSecretsInLogs: OK unless a password or private key of this harness (or one added with
  // AddLogSecret) is in AgentLogs().
  absl::Status NoSecretsInLogs() const;
  // AddLogSecret: `secret` must never appear in the agent's logs either (e.g. a wrong registry
  // password a test hands the agent).
  void AddLogSecret(const std::string& secret) const { all_secrets_.push_back(secret); }

 private:
  AgentHarness() = default;
  absl::Status Init(HarnessOptions options);
  absl::StatusOr<nlohmann::json> CompleteRun(const kube::Resource& resource, const RunSpec& run);
  std::vector<std::string> AgentArgs(const std::vector<std::string>& extra, int port) const;
  int Index(int index) const;

  HarnessOptions options_;
  std::string dir_;
  std::string kubeconfig_;
  std::string secrets_dir_;
  std::unique_ptr<apiserver::testing::ApiserverProcess> api_;
  std::unique_ptr<registry::RegistryServer> registry_;
  std::unique_ptr<kube::HttpKubeClient> kube_;
  std::unique_ptr<oci::RegistryClient> oci_;
  std::optional<SigningKey> key_;
  mutable std::vector<std::string> all_secrets_;
  struct AgentProcess {
    std::unique_ptr<hallmark::testing::BackgroundProcess> process;
    std::string log_path;
    int port = 0;
  };
  std::vector<AgentProcess> agents_;
};

}  // namespace hallmark::tests::e2e

#endif  // HALLMARK_TESTS_E2E_AGENT_HARNESS_H_
