#include "tests/e2e/agent_harness.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "base/encoding.h"
#include "base/file.h"
#include "base/secret_data.h"
#include "base/status_macros.h"
#include "base/testing/fixtures.h"
#include "crypto/cosign_key.h"
#include "httplib.h"
#include "kube/api_status.h"
#include "kube/config.h"
#include "oci/curl_registry_client.h"
#include "oci/manifest.h"
#include "oci/reference.h"

namespace hallmark::tests::e2e {
namespace {

using hallmark::testing::BackgroundProcess;
using hallmark::testing::CommandOptions;
using hallmark::testing::CommandResult;
using hallmark::testing::RunCommand;
using nlohmann::json;

// The harness's own bearer token when options.agent_token is set (never rotated).
constexpr char kHarnessAdminToken[] = "e2e-harness-admin-token";

// Verifies a DSSE envelope with python3-securesystemslib (Debian 0.26, which has no envelope
// class: the PAE is built here), then prints the statement.
constexpr char kDssePython[] = R"PY(
import base64, json, sys
from securesystemslib.signer import SSlibKey, Signature
env = json.load(open(sys.argv[1]))
pub = open(sys.argv[2]).read()
payload = base64.b64decode(env["payload"], validate=True)
ptype = env["payloadType"].encode()
pae = b"DSSEv1 %d %s %d %s" % (len(ptype), ptype, len(payload), payload)
key = SSlibKey("ab", "ecdsa", "ecdsa-sha2-nistp256", {"public": pub})
sig = base64.b64decode(env["signatures"][0]["sig"], validate=True)
key.verify_signature(Signature("ab", sig.hex()), pae)
sys.stdout.write(payload.decode())
)PY";

std::string Now() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());
}

std::string RandomPassword() {
  static const char kAlphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  absl::BitGen gen;
  std::string out;
  for (int i = 0; i < 24; ++i)
    out += kAlphabet[absl::Uniform<size_t>(gen, 0, sizeof(kAlphabet) - 1)];
  return out;
}

std::string PemBody(absl::string_view der_b64) {
  std::string out;
  for (size_t i = 0; i < der_b64.size(); i += 64)
    absl::StrAppend(&out, der_b64.substr(i, 64), "\n");
  return out;
}

absl::Status Mkdir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::InternalError(absl::StrCat("mkdir ", path));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<AgentHarness>> AgentHarness::Start(HarnessOptions options) {
  std::unique_ptr<AgentHarness> h(new AgentHarness());
  HM_RETURN_IF_ERROR(h->Init(std::move(options)));
  return h;
}

absl::Status AgentHarness::Init(HarnessOptions options) {
  options_ = std::move(options);
  dir_ = hallmark::testing::TempDir();
  std::vector<std::string> api_args = {"--request-log", dir_ + "/requests.jsonl"};
  if (!options_.agent_token.empty()) {
    api_args.insert(api_args.end(),
                    {"--token", kHarnessAdminToken, "--token", options_.agent_token});
  }
  api_args.insert(api_args.end(), options_.apiserver_args.begin(), options_.apiserver_args.end());
  HM_ASSIGN_OR_RETURN(api_, apiserver::testing::ApiserverProcess::Start(api_args));
  kubeconfig_ = dir_ + "/kubeconfig";
  kube::Config config;
  if (options_.agent_token.empty()) {
    api_->WriteKubeconfig(kubeconfig_);
  } else {
    HM_RETURN_IF_ERROR(WriteFileAtomic(dir_ + "/agent-token", options_.agent_token, 0600));
    HM_RETURN_IF_ERROR(WriteFileAtomic(
        kubeconfig_,
        absl::StrCat("apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n"
                     "    server: ",
                     api_->url(),
                     "\ncontexts:\n- name: local\n  context:\n    cluster: local\n    user: "
                     "agent\ncurrent-context: local\nusers:\n- name: agent\n  user:\n"
                     "    tokenFile: ",
                     dir_, "/agent-token\n"),
        0600));
    config.token = SecretData(kHarnessAdminToken);
  }
  config.server = api_->url();
  config.origin = "e2e";
  kube::ClientOptions client;
  client.user_agent = "e2e-test";
  client.qps = 5000;
  client.burst = 5000;
  HM_ASSIGN_OR_RETURN(kube_, kube::HttpKubeClient::New(config, client));
  for (const char* ns : {kSystemNamespace, kRunNamespace}) {
    HM_RETURN_IF_ERROR(
        kube_
            ->Create(
                kube::Namespaces(), "",
                json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}})
            .status());
  }
  HM_ASSIGN_OR_RETURN(registry_, registry::RegistryServer::Start(options_.registry));
  oci::RegistryClientOptions harness_registry;
  HM_RETURN_IF_ERROR(Mkdir(dir_ + "/docker"));      // an empty DOCKER_CONFIG for the agent
  HM_RETURN_IF_ERROR(Mkdir(dir_ + "/docker-cli"));  // the harness's own, for `hallmark verify`
  if (!options_.registry.users.empty()) {
    const auto& [user, password] = *options_.registry.users.begin();
    std::string config = registry_->DockerConfigJson(user);
    HM_ASSIGN_OR_RETURN(harness_registry.keychain, oci::Keychain::ParseDockerConfigJson(config));
    HM_RETURN_IF_ERROR(WriteFileAtomic(dir_ + "/docker-cli/config.json", config, 0600));
    for (const auto& [name, pw] : options_.registry.users) {
      all_secrets_.push_back(pw);
      all_secrets_.push_back(Base64Encode(absl::StrCat(name, ":", pw)));
    }
  }
  HM_ASSIGN_OR_RETURN(oci_, oci::NewCurlRegistryClient(std::move(harness_registry)));
  secrets_dir_ = dir_ + "/signing-secrets";
  HM_ASSIGN_OR_RETURN(SigningKey key, NewKey());
  key_ = std::move(key);
  if (options_.create_secret) HM_RETURN_IF_ERROR(PutSigningSecret(*key_));
  if (options_.create_config) HM_RETURN_IF_ERROR(PutConfig(options_.config));
  if (options_.start_agent) HM_RETURN_IF_ERROR(StartAgent());
  return absl::OkStatus();
}

AgentHarness::~AgentHarness() {
  for (AgentProcess& a : agents_) {
    if (a.process != nullptr) a.process->Stop();
  }
}

absl::StatusOr<SigningKey> AgentHarness::NewKey() const {
  HM_ASSIGN_OR_RETURN(crypto::PrivateKey key,
                      crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256));
  SigningKey k(key);
  k.password = RandomPassword();
  HM_ASSIGN_OR_RETURN(k.cosign_key, crypto::EncryptCosignKey(key, SecretData(k.password),
                                                             crypto::CosignKeyFormat::kLegacy));
  HM_ASSIGN_OR_RETURN(SecretData der, key.InsecurePkcs8Der());
  std::string b64 = Base64Encode(der.InsecureView());
  std::string body = PemBody(b64);
  k.x509_pem = absl::StrCat("-----BEGIN PRIVATE KEY-----\n", body, "-----END PRIVATE KEY-----\n");
  k.public_pem = key.public_key().Pem();
  static int counter = 0;
  k.public_path = absl::StrCat(dir_, "/cosign-", ++counter, ".pub");
  hallmark::testing::WriteFileOrDie(k.public_path, k.public_pem);
  k.secrets = {k.password, b64, HexEncode(der.InsecureView())};
  for (absl::string_view line : absl::StrSplit(body, '\n', absl::SkipEmpty())) {
    if (line.size() >= 32) k.secrets.emplace_back(line);
  }
  all_secrets_.insert(all_secrets_.end(), k.secrets.begin(), k.secrets.end());
  return k;
}

absl::Status AgentHarness::PutSigningSecret(const SigningKey& key, bool as_x509) {
  std::map<std::string, std::string> files;
  if (as_x509) {
    files["x509.pem"] = key.x509_pem;
  } else {
    files["cosign.key"] = key.cosign_key;
    files["cosign.password"] = key.password;
    files["cosign.pub"] = key.public_pem;
  }
  if (options_.secrets_in_dir) {
    // What the kubelet does with a mounted Secret: the files live in a timestamped folder, the
    // `..data` symlink points to it and is swapped atomically, the visible names are symlinks
    // through `..data`.
    HM_RETURN_IF_ERROR(Mkdir(secrets_dir_));
    static int version = 0;
    std::string data_dir = absl::StrCat("..v", ++version);
    HM_RETURN_IF_ERROR(Mkdir(absl::StrCat(secrets_dir_, "/", data_dir)));
    for (const auto& [name, bytes] : files) {
      HM_RETURN_IF_ERROR(
          WriteFileAtomic(absl::StrCat(secrets_dir_, "/", data_dir, "/", name), bytes, 0600));
    }
    std::string tmp = secrets_dir_ + "/..data_tmp";
    ::unlink(tmp.c_str());
    if (::symlink(data_dir.c_str(), tmp.c_str()) != 0 ||
        ::rename(tmp.c_str(), (secrets_dir_ + "/..data").c_str()) != 0) {
      return absl::InternalError("swapping ..data");
    }
    for (const char* name : {"x509.pem", "cosign.key", "cosign.password", "cosign.pub"}) {
      std::string link = absl::StrCat(secrets_dir_, "/", name);
      struct stat st;
      if (::lstat(link.c_str(), &st) != 0 &&
          ::symlink(absl::StrCat("..data/", name).c_str(), link.c_str()) != 0) {
        return absl::InternalError(absl::StrCat("symlink ", link));
      }
    }
    return absl::OkStatus();
  }
  json data = json::object();
  for (const auto& [name, bytes] : files) data[name] = Base64Encode(bytes);
  json secret = {{"apiVersion", "v1"},
                 {"kind", "Secret"},
                 {"metadata", {{"name", "signing-secrets"}, {"namespace", kSystemNamespace}}},
                 {"type", "Opaque"},
                 {"data", data}};
  absl::StatusOr<json> existing = kube_->Get(kube::Secrets(), kSystemNamespace, "signing-secrets");
  if (absl::IsNotFound(existing.status())) {
    return kube_->Create(kube::Secrets(), kSystemNamespace, secret).status();
  }
  HM_RETURN_IF_ERROR(existing.status());
  secret["metadata"]["resourceVersion"] = kube::MetaResourceVersion(*existing);
  return kube_->Update(kube::Secrets(), kSystemNamespace, secret).status();
}

absl::Status AgentHarness::DeleteSigningSecret() {
  if (options_.secrets_in_dir) {
    ::unlink((secrets_dir_ + "/..data").c_str());
    return absl::OkStatus();
  }
  return kube_->Delete(kube::Secrets(), kSystemNamespace, "signing-secrets");
}

absl::Status AgentHarness::PutConfig(const std::map<std::string, std::string>& data) {
  json cm = {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata", {{"name", "chains-config"}, {"namespace", kSystemNamespace}}},
             {"data", data}};
  absl::StatusOr<json> existing = kube_->Get(kube::ConfigMaps(), kSystemNamespace, "chains-config");
  if (absl::IsNotFound(existing.status())) {
    return kube_->Create(kube::ConfigMaps(), kSystemNamespace, cm).status();
  }
  HM_RETURN_IF_ERROR(existing.status());
  cm["metadata"]["resourceVersion"] = kube::MetaResourceVersion(*existing);
  return kube_->Update(kube::ConfigMaps(), kSystemNamespace, cm).status();
}

std::vector<std::string> AgentHarness::AgentArgs(const std::vector<std::string>& extra,
                                                 int port) const {
  std::vector<std::string> args = {hallmark::testing::RunfilePath("cmd/hallmark"),
                                   "agent",
                                   "--kubeconfig",
                                   kubeconfig_,
                                   "--system-namespace",
                                   kSystemNamespace,
                                   "--metrics-addr",
                                   absl::StrCat("127.0.0.1:", port),
                                   "--threads",
                                   "4",
                                   "--kube-api-qps",
                                   "1000",
                                   "--kube-api-burst",
                                   "2000",
                                   "--retry-backoff",
                                   "200ms",
                                   "--retry-max-backoff",
                                   "2s",
                                   "--retry-window",
                                   "2m",
                                   "--shutdown-grace",
                                   "10s",
                                   "--log-level",
                                   "debug"};
  if (options_.secrets_in_dir) {
    args.push_back("--signing-secrets-dir");
    args.push_back(secrets_dir_);
  }
  std::vector<std::string> overrides = options_.agent_args;
  overrides.insert(overrides.end(), extra.begin(), extra.end());
  // A flag given by the test replaces the default (CLI11 refuses a repeated option).
  std::vector<std::string> merged = {args[0], args[1]};
  for (size_t i = 2; i + 1 < args.size(); i += 2) {
    if (std::find(overrides.begin(), overrides.end(), args[i]) != overrides.end()) continue;
    merged.push_back(args[i]);
    merged.push_back(args[i + 1]);
  }
  merged.insert(merged.end(), overrides.begin(), overrides.end());
  return merged;
}

absl::StatusOr<int> AgentHarness::StartAgentNoWait(const std::vector<std::string>& extra) {
  AgentProcess a;
  a.port = hallmark::testing::FreePort();
  a.log_path = absl::StrCat(dir_, "/agent-", agents_.size(), ".log");
  CommandOptions options;
  options.env["DOCKER_CONFIG"] = dir_ + "/docker";
  HM_ASSIGN_OR_RETURN(a.process,
                      BackgroundProcess::Start(AgentArgs(extra, a.port), a.log_path, options));
  agents_.push_back(std::move(a));
  return static_cast<int>(agents_.size()) - 1;
}

absl::Status AgentHarness::StartAgent(const std::vector<std::string>& extra) {
  HM_ASSIGN_OR_RETURN(int index, StartAgentNoWait(extra));
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    if (!agents_[index].process->Running()) {
      return absl::AbortedError(absl::StrCat("the agent exited: ", agents_[index].process->Log()));
    }
    absl::StatusOr<std::pair<int, std::string>> ready = Readyz(index);
    if (ready.ok() && ready->first == 200) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("the agent did not become ready: ", agents_[index].process->Log()));
}

int AgentHarness::Index(int index) const {
  return index >= 0 ? index : static_cast<int>(agents_.size()) - 1;
}

int AgentHarness::StopAgent(int index) {
  return agents_[Index(index)].process->Stop(absl::Seconds(15));
}

void AgentHarness::KillAgent(int index) {
  hallmark::testing::BackgroundProcess* p = agents_[Index(index)].process.get();
  p->Signal(SIGKILL);
  p->Stop();
}

bool AgentHarness::AgentRunning(int index) { return agents_[Index(index)].process->Running(); }

hallmark::testing::BackgroundProcess* AgentHarness::agent(int index) {
  return agents_[Index(index)].process.get();
}

int AgentHarness::metrics_port(int index) const { return agents_[Index(index)].port; }

std::string AgentHarness::AgentLogs() const {
  std::string all;
  for (const AgentProcess& a : agents_) {
    absl::StatusOr<std::string> text = ReadFile(a.log_path, 256 << 20);
    if (text.ok()) absl::StrAppend(&all, *text);
  }
  return all;
}

absl::StatusOr<std::string> AgentHarness::Metrics(int index) const {
  httplib::Client client("127.0.0.1", metrics_port(index));
  client.set_connection_timeout(2, 0);
  httplib::Result r = client.Get("/metrics");
  if (!r || r->status != 200) return absl::UnavailableError("GET /metrics failed");
  return r->body;
}

absl::StatusOr<std::pair<int, std::string>> AgentHarness::Readyz(int index) const {
  httplib::Client client("127.0.0.1", metrics_port(index));
  client.set_connection_timeout(1, 0);
  httplib::Result r = client.Get("/readyz");
  if (!r) return absl::UnavailableError("GET /readyz failed");
  return std::make_pair(r->status, r->body);
}

absl::StatusOr<double> AgentHarness::MetricValue(const std::string& name, int index) const {
  HM_ASSIGN_OR_RETURN(std::string text, Metrics(index));
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::StartsWith(line, name) || line.size() <= name.size() || line[name.size()] != ' ') {
      continue;
    }
    double v = 0;
    if (absl::SimpleAtod(line.substr(name.size() + 1), &v)) return v;
  }
  return 0.0;
}

absl::StatusOr<double> AgentHarness::WaitForMetric(const std::string& name, double want,
                                                   int index) const {
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (true) {
    absl::StatusOr<double> value = MetricValue(name, index);
    if ((value.ok() && *value == want) || absl::Now() >= deadline) return value;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

absl::StatusOr<json> AgentHarness::CompleteRun(const kube::Resource& resource, const RunSpec& run) {
  bool taskrun = resource.plural == "taskruns";
  json metadata = {{"name", run.name}, {"namespace", run.ns}};
  if (!run.labels.empty()) metadata["labels"] = run.labels;
  if (!run.annotations.empty()) metadata["annotations"] = run.annotations;
  if (!run.owner_references.empty()) metadata["ownerReferences"] = run.owner_references;
  json spec = run.spec;
  if (spec.empty()) {
    spec =
        taskrun ? json{{"taskRef", {{"name", "build"}}}} : json{{"pipelineRef", {{"name", "ci"}}}};
  }
  json object = {{"apiVersion", "tekton.dev/v1"},
                 {"kind", taskrun ? "TaskRun" : "PipelineRun"},
                 {"metadata", metadata},
                 {"spec", spec}};
  HM_RETURN_IF_ERROR(kube_->Create(resource, run.ns, object).status());
  std::string now = Now();
  json status = {{"conditions",
                  {{{"type", "Succeeded"},
                    {"status", run.succeeded},
                    {"reason", run.succeeded == "True" ? "Succeeded" : "Failed"},
                    {"lastTransitionTime", now}}}},
                 {"startTime", now},
                 {"completionTime", now},
                 {"results", run.results}};
  status.update(run.extra_status);
  kube::PatchOptions options;
  options.subresource = "status";
  options.field_manager = "tekton-pipelines-controller";
  return kube_->Patch(resource, run.ns, run.name, kube::PatchType::kMerge,
                      json{{"status", status}}.dump(), options);
}

absl::StatusOr<json> AgentHarness::CompleteTaskRun(const RunSpec& run) {
  return CompleteRun(kube::TaskRunsV1(), run);
}

absl::StatusOr<json> AgentHarness::CompletePipelineRun(const RunSpec& run) {
  return CompleteRun(kube::PipelineRunsV1(), run);
}

absl::StatusOr<json> AgentHarness::Get(const kube::Resource& resource, const std::string& name,
                                       const std::string& ns) {
  return kube_->Get(resource, ns, name);
}

absl::StatusOr<json> AgentHarness::WaitForAnnotation(
    const kube::Resource& resource, const std::string& name, const std::string& key,
    const std::string& value, absl::Duration timeout, const std::string& ns) {
  absl::Time deadline = absl::Now() + timeout;
  json last;
  for (;;) {
    absl::StatusOr<json> object = kube_->Get(resource, ns, name);
    if (object.ok()) {
      last = *object;
      const json& annotations = last["metadata"]["annotations"];
      if (annotations.is_object() && annotations.contains(key) && annotations[key] == value) {
        return last;
      }
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat(resource.plural, " ", ns, "/", name, ": ", key, " never became \"", value,
                       "\"; annotations: ", last["metadata"]["annotations"].dump()));
    }
    absl::SleepFor(absl::Milliseconds(25));
  }
}

absl::StatusOr<json> AgentHarness::WaitForSigned(const kube::Resource& resource,
                                                 const std::string& name, absl::Duration timeout) {
  return WaitForAnnotation(resource, name, "chains.tekton.dev/signed", "true", timeout);
}

absl::StatusOr<std::vector<json>> AgentHarness::Events(const std::string& name,
                                                       const std::string& ns) {
  HM_ASSIGN_OR_RETURN(kube::ObjectList list, kube_->List(kube::CoreEvents(), ns, {}));
  std::vector<json> out;
  for (json& e : list.items) {
    if (e["involvedObject"]["name"] == name) out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<std::string> AgentHarness::PushImage(const std::string& repository,
                                                    const std::string& tag,
                                                    const std::string& seed) {
  HM_ASSIGN_OR_RETURN(registry::TestImage image, registry_->PushImage(repository, tag, seed));
  return absl::StrCat(registry_->host(), "/", repository, "@", image.digest.String());
}

absl::StatusOr<std::vector<oci::Descriptor>> AgentHarness::Layers(const std::string& image,
                                                                  const std::string& suffix) {
  HM_ASSIGN_OR_RETURN(oci::Reference ref, oci::Reference::Parse(image));
  if (!ref.digest().has_value()) return absl::InvalidArgumentError("image without digest");
  std::string tag =
      suffix == "sig" ? oci::SignatureTag(*ref.digest()) : oci::AttestationTag(*ref.digest());
  HM_ASSIGN_OR_RETURN(oci::Reference tagged, ref.WithTag(tag));
  absl::StatusOr<oci::FetchedManifest> fetched = oci_->GetManifest(tagged);
  if (absl::IsNotFound(fetched.status())) return std::vector<oci::Descriptor>{};
  HM_RETURN_IF_ERROR(fetched.status());
  HM_ASSIGN_OR_RETURN(oci::ImageManifest manifest, oci::ImageManifest::Parse(fetched->bytes));
  return manifest.layers;
}

absl::StatusOr<int> AgentHarness::CountLayers(const std::string& image, const std::string& suffix) {
  HM_ASSIGN_OR_RETURN(std::vector<oci::Descriptor> layers, Layers(image, suffix));
  return static_cast<int>(layers.size());
}

absl::StatusOr<std::vector<std::string>> AgentHarness::Tags(const std::string& repository) {
  return oci_->ListTags(oci::Repository{registry_->host(), repository});
}

absl::StatusOr<CommandResult> AgentHarness::Hallmark(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {hallmark::testing::RunfilePath("cmd/hallmark")};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandOptions options;
  options.env["DOCKER_CONFIG"] = dir_ + "/docker-cli";
  return RunCommand(argv, options);
}

absl::Status AgentHarness::VerifyImage(const std::string& image, const std::string& public_path) {
  HM_ASSIGN_OR_RETURN(CommandResult verify,
                      Hallmark({"verify", "--insecure-ignore-tlog", "--key", public_path, image}));
  if (verify.exit_code != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("hallmark verify ", image, " exited ", verify.exit_code, ": ", verify.err));
  }
  HM_ASSIGN_OR_RETURN(oci::Reference ref, oci::Reference::Parse(image));
  HM_ASSIGN_OR_RETURN(std::vector<oci::Descriptor> layers, Layers(image, "sig"));
  if (layers.empty()) return absl::NotFoundError(absl::StrCat("no .sig for ", image));
  std::string scratch = hallmark::testing::TempDir();
  for (const oci::Descriptor& layer : layers) {
    HM_ASSIGN_OR_RETURN(std::string payload,
                        oci_->GetBlob(oci::Repository::Of(ref), layer.digest, layer.size));
    std::optional<std::string> b64 = layer.Annotation("dev.cosignproject.cosign/signature");
    if (!b64.has_value()) return absl::FailedPreconditionError("layer without a signature");
    HM_ASSIGN_OR_RETURN(std::string sig, Base64Decode(*b64));
    hallmark::testing::WriteFileOrDie(scratch + "/payload", payload);
    hallmark::testing::WriteFileOrDie(scratch + "/sig", sig);
    HM_ASSIGN_OR_RETURN(CommandResult r,
                        RunCommand({"openssl", "dgst", "-sha256", "-verify", public_path,
                                    "-signature", scratch + "/sig", scratch + "/payload"}));
    if (r.exit_code != 0 || r.out != "Verified OK\n") {
      return absl::FailedPreconditionError(
          absl::StrCat("openssl refused the .sig layer of ", image, ": ", r.out, r.err));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<json>> AgentHarness::VerifyAttestation(const std::string& image,
                                                                  const std::string& public_path,
                                                                  const std::string& type) {
  HM_ASSIGN_OR_RETURN(CommandResult verify,
                      Hallmark({"verify-attestation", "--insecure-ignore-tlog", "--key",
                                public_path, "--type", type, image}));
  if (verify.exit_code != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "hallmark verify-attestation ", image, " exited ", verify.exit_code, ": ", verify.err));
  }
  HM_ASSIGN_OR_RETURN(oci::Reference ref, oci::Reference::Parse(image));
  HM_ASSIGN_OR_RETURN(std::vector<oci::Descriptor> layers, Layers(image, "att"));
  std::vector<json> statements;
  for (const oci::Descriptor& layer : layers) {
    HM_ASSIGN_OR_RETURN(std::string envelope,
                        oci_->GetBlob(oci::Repository::Of(ref), layer.digest, layer.size));
    HM_ASSIGN_OR_RETURN(json statement, VerifyEnvelope(envelope, public_path));
    statements.push_back(std::move(statement));
  }
  return statements;
}

absl::StatusOr<json> AgentHarness::VerifyEnvelope(const std::string& envelope,
                                                  const std::string& public_path) {
  std::string scratch = hallmark::testing::TempDir();
  hallmark::testing::WriteFileOrDie(scratch + "/verify.py", kDssePython);
  hallmark::testing::WriteFileOrDie(scratch + "/envelope.json", envelope);
  HM_ASSIGN_OR_RETURN(CommandResult r, RunCommand({"/usr/bin/python3", scratch + "/verify.py",
                                                   scratch + "/envelope.json", public_path}));
  if (r.exit_code != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("securesystemslib refused the envelope: ", r.err));
  }
  json statement = json::parse(r.out, nullptr, false);
  if (statement.is_discarded()) return absl::DataLossError("statement is not JSON");
  return statement;
}

absl::Status AgentHarness::RotateAgentToken(const std::string& token) {
  if (options_.agent_token.empty()) {
    return absl::FailedPreconditionError("the harness was started without an agent token");
  }
  HM_RETURN_IF_ERROR(WriteFileAtomic(dir_ + "/agent-token", token, 0600));
  return api_
      ->Knob("PUT", "/__hallmark/tokens",
             json{{"tokens", json::array({kHarnessAdminToken, token})}}.dump())
      .status();
}

absl::Status AgentHarness::RestartApiserver() { return api_->Restart(); }

absl::StatusOr<std::vector<json>> AgentHarness::AgentRequests() {
  HM_ASSIGN_OR_RETURN(std::string text, ReadFile(dir_ + "/requests.jsonl", 512 << 20));
  std::vector<json> out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    json r = json::parse(line, nullptr, false);
    if (r.is_discarded() || !r.contains("userAgent") || !r["userAgent"].is_string()) continue;
    if (absl::StartsWith(r["userAgent"].get<std::string>(), "hallmark-agent")) {
      out.push_back(std::move(r));
    }
  }
  return out;
}

absl::Status AgentHarness::NoSecretsInLogs() const {
  std::string logs = AgentLogs();
  if (logs.empty()) return absl::FailedPreconditionError("no agent logs to check");
  for (size_t i = 0; i < all_secrets_.size(); ++i) {
    if (absl::StrContains(logs, all_secrets_[i])) {
      return absl::InternalError(absl::StrCat(
          "secret #", i, " (a password or private key encoding) is in the agent logs"));
    }
  }
  return absl::OkStatus();
}

}  // namespace hallmark::tests::e2e
