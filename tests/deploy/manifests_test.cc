// Static checks of deploy/: the YAML parses (PyYAML and yaml-cpp), kustomizations are complete and
// build offline with the real kubectl, the Deployments are hardened, Services and webhooks point
// at what exists, the agent keeps Chains' names, and gen-certs.sh makes a certificate that
// verifies for the webhook Service.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "yaml-cpp/yaml.h"

namespace hallmark::tests::deploy {
namespace {

using ::hallmark::testing::CommandResult;
using ::hallmark::testing::ReadFileOrDie;
using ::hallmark::testing::RunCommand;
using ::hallmark::testing::RunfilePath;
using ::hallmark::testing::TempDir;
using ::testing::Contains;
using ::testing::HasSubstr;

constexpr char kKubectl[] = "/usr/lib/google-cloud-sdk/bin/kubectl.1.32";
constexpr char kPython[] = "/usr/bin/python3";

CommandResult Exec(const std::vector<std::string>& argv) {
  absl::StatusOr<CommandResult> r = RunCommand(argv);
  EXPECT_TRUE(r.ok()) << argv[0] << ": " << r.status();
  return r.ok() ? *r : CommandResult{};
}

// A real copy of deploy/ (runfiles are symlinks into the source tree; kustomize and the scripts
// should see an ordinary tree, as a user's checkout is).
std::string DeployCopy() {
  std::string dir = TempDir();
  CommandResult r = Exec({"cp", "-rL", RunfilePath("deploy"), dir});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return dir + "/deploy";
}

std::vector<YAML::Node> LoadAll(const std::string& text) {
  try {
    std::vector<YAML::Node> docs;
    for (const YAML::Node& d : YAML::LoadAll(text)) {
      if (d.IsMap()) docs.push_back(d);
    }
    return docs;
  } catch (const YAML::Exception& e) {
    ADD_FAILURE() << "YAML: " << e.what();
    return {};
  }
}

// `kubectl kustomize DIR` as parsed documents.
std::vector<YAML::Node> Kustomize(const std::string& dir) {
  CommandResult r = Exec({kKubectl, "kustomize", dir});
  EXPECT_EQ(r.exit_code, 0) << dir << ": " << r.err;
  return LoadAll(r.out);
}

std::string Str(const YAML::Node& n) { return n && n.IsScalar() ? n.as<std::string>() : ""; }

std::string Id(const YAML::Node& d) {
  return absl::StrCat(Str(d["kind"]), " ", Str(d["metadata"]["namespace"]), "/",
                      Str(d["metadata"]["name"]));
}

std::vector<YAML::Node> OfKind(const std::vector<YAML::Node>& docs, const std::string& kind) {
  std::vector<YAML::Node> out;
  for (const YAML::Node& d : docs) {
    if (Str(d["kind"]) == kind) out.push_back(d);
  }
  return out;
}

std::map<std::string, std::string> Labels(const YAML::Node& map) {
  std::map<std::string, std::string> out;
  if (!map.IsMap()) return out;
  for (const auto& kv : map) out[kv.first.as<std::string>()] = Str(kv.second);
  return out;
}

std::set<std::string> Ids(const std::vector<YAML::Node>& docs) {
  std::set<std::string> ids;
  for (const YAML::Node& d : docs) ids.insert(Id(d));
  return ids;
}

TEST(Manifests, EveryYamlParsesWithPyYamlAndKustomizationsAreComplete) {
  CommandResult r =
      Exec({kPython, RunfilePath("tests/deploy/validate_manifests.py"), DeployCopy()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("documents OK"));
}

TEST(Manifests, ValidatorCatchesBrokenYamlAndUnlistedFiles) {
  std::string dir = DeployCopy();
  testing::WriteFileOrDie(dir + "/agent/forgotten.yaml",
                          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: y}\n");
  testing::WriteFileOrDie(dir + "/policies/broken.yaml", "kind: [unclosed\n");
  testing::WriteFileOrDie(dir + "/examples/nameless.yaml", "apiVersion: v1\nkind: ConfigMap\n");
  CommandResult r = Exec({kPython, RunfilePath("tests/deploy/validate_manifests.py"), dir});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("agent/kustomization.yaml: does not list forgotten.yaml"));
  EXPECT_THAT(r.out, HasSubstr("policies/broken.yaml: does not parse"));
  EXPECT_THAT(r.out, HasSubstr("examples/nameless.yaml document 1: ConfigMap needs metadata.name"));
}

TEST(Manifests, KustomizationsBuildOfflineAndTheTopLevelIsAgentPlusWebhook) {
  std::string dir = DeployCopy();
  std::vector<YAML::Node> agent = Kustomize(dir + "/agent");
  std::vector<YAML::Node> webhook = Kustomize(dir + "/webhook");
  std::vector<YAML::Node> all = Kustomize(dir);
  std::vector<YAML::Node> cert_manager = Kustomize(dir + "/webhook-cert-manager");
  std::vector<YAML::Node> crds = Kustomize(dir + "/webhook-crds");
  EXPECT_EQ(Ids(crds),
            (std::set<std::string>{"CustomResourceDefinition /clusterpolicies.kyverno.io",
                                   "CustomResourceDefinition /policies.kyverno.io"}));
  EXPECT_EQ(agent.size(), 14u);
  EXPECT_EQ(webhook.size(), 11u);
  std::set<std::string> both = Ids(agent);
  for (const std::string& id : Ids(webhook)) both.insert(id);
  EXPECT_EQ(Ids(all), both);
  EXPECT_EQ(all.size(), agent.size() + webhook.size());
  // The cert-manager variant is the webhook plus issuers and certificates.
  EXPECT_EQ(cert_manager.size(), webhook.size() + 4);
  EXPECT_EQ(OfKind(cert_manager, "Certificate").size(), 2u);
  for (const char* kind : {"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}) {
    std::vector<YAML::Node> configs = OfKind(cert_manager, kind);
    ASSERT_EQ(configs.size(), 1u) << kind;
    EXPECT_EQ(Str(configs[0]["metadata"]["annotations"]["cert-manager.io/inject-ca-from"]),
              "hallmark-system/hallmark-webhook-tls")
        << kind;
  }
}

TEST(Manifests, DeploymentsAreHardened) {
  std::vector<YAML::Node> deployments = OfKind(Kustomize(DeployCopy()), "Deployment");
  ASSERT_EQ(deployments.size(), 2u);
  for (const YAML::Node& d : deployments) {
    SCOPED_TRACE(Id(d));
    YAML::Node pod = d["spec"]["template"]["spec"];
    EXPECT_EQ(Str(pod["securityContext"]["runAsNonRoot"]), "true");
    EXPECT_EQ(Str(pod["securityContext"]["runAsUser"]), "65532");
    EXPECT_EQ(Str(pod["securityContext"]["seccompProfile"]["type"]), "RuntimeDefault");
    ASSERT_TRUE(pod["containers"].IsSequence());
    for (const YAML::Node& c : pod["containers"]) {
      SCOPED_TRACE(Str(c["name"]));
      YAML::Node sc = c["securityContext"];
      EXPECT_EQ(Str(sc["allowPrivilegeEscalation"]), "false");
      EXPECT_EQ(Str(sc["readOnlyRootFilesystem"]), "true");
      EXPECT_EQ(Str(sc["runAsNonRoot"]), "true");
      EXPECT_EQ(Str(sc["runAsUser"]), "65532");
      ASSERT_TRUE(sc["capabilities"]["drop"].IsSequence());
      EXPECT_EQ(Str(sc["capabilities"]["drop"][0]), "ALL");
      EXPECT_FALSE(sc["capabilities"]["add"]);
      EXPECT_FALSE(sc["privileged"] && Str(sc["privileged"]) == "true");
      for (const char* kind : {"requests", "limits"}) {
        EXPECT_FALSE(Str(c["resources"][kind]["cpu"]).empty()) << kind;
        EXPECT_FALSE(Str(c["resources"][kind]["memory"]).empty()) << kind;
      }
      EXPECT_FALSE(Str(c["livenessProbe"]["httpGet"]["path"]).empty());
      EXPECT_FALSE(Str(c["readinessProbe"]["httpGet"]["path"]).empty());
      EXPECT_EQ(Str(c["image"]), "hallmark:latest");
      // Every mount is of a declared volume, and the Secrets are mounted read-only.
      std::set<std::string> volumes;
      for (const YAML::Node& v : pod["volumes"]) volumes.insert(Str(v["name"]));
      for (const YAML::Node& m : c["volumeMounts"]) {
        EXPECT_THAT(volumes, Contains(Str(m["name"])));
      }
    }
  }
}

// The container ports of the pods a selector picks, by name and number.
std::set<std::string> SelectedPorts(const std::vector<YAML::Node>& deployments,
                                    const std::string& ns, const YAML::Node& selector) {
  std::set<std::string> ports;
  for (const YAML::Node& d : deployments) {
    if (Str(d["metadata"]["namespace"]) != ns) continue;
    YAML::Node labels = d["spec"]["template"]["metadata"]["labels"];
    bool match = selector.IsMap() && selector.size() > 0;
    for (const auto& kv : selector) {
      if (Str(labels[kv.first.as<std::string>()]) != kv.second.as<std::string>()) match = false;
    }
    if (!match) continue;
    for (const YAML::Node& c : d["spec"]["template"]["spec"]["containers"]) {
      for (const YAML::Node& p : c["ports"]) {
        ports.insert(Str(p["name"]));
        ports.insert(Str(p["containerPort"]));
      }
    }
  }
  return ports;
}

TEST(Manifests, ServicesSelectPodsThatServeTheirTargetPort) {
  std::vector<YAML::Node> all = Kustomize(DeployCopy());
  std::vector<YAML::Node> deployments = OfKind(all, "Deployment");
  std::vector<YAML::Node> services = OfKind(all, "Service");
  ASSERT_EQ(services.size(), 2u);
  for (const YAML::Node& s : services) {
    SCOPED_TRACE(Id(s));
    std::set<std::string> ports =
        SelectedPorts(deployments, Str(s["metadata"]["namespace"]), s["spec"]["selector"]);
    ASSERT_FALSE(ports.empty()) << "selects no Deployment's pods";
    for (const YAML::Node& p : s["spec"]["ports"]) {
      EXPECT_THAT(ports, Contains(Str(p["targetPort"])));
    }
  }
  // Every selector of a Deployment matches its own template.
  for (const YAML::Node& d : deployments) {
    EXPECT_FALSE(
        SelectedPorts({d}, Str(d["metadata"]["namespace"]), d["spec"]["selector"]["matchLabels"])
            .empty())
        << Id(d);
  }
}

TEST(Manifests, WebhooksFailClosedWithinTheirTimeoutAndSkipSystemNamespaces) {
  std::vector<YAML::Node> all = Kustomize(DeployCopy());
  std::set<std::string> services = Ids(OfKind(all, "Service"));
  int webhooks = 0;
  for (const char* kind : {"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}) {
    for (const YAML::Node& config : OfKind(all, kind)) {
      for (const YAML::Node& w : config["webhooks"]) {
        ++webhooks;
        SCOPED_TRACE(Str(w["name"]));
        EXPECT_EQ(Str(w["failurePolicy"]), "Fail");
        EXPECT_EQ(Str(w["sideEffects"]), "None");
        EXPECT_EQ(Str(w["timeoutSeconds"]), "10");
        ASSERT_EQ(w["admissionReviewVersions"].size(), 1u);
        EXPECT_EQ(Str(w["admissionReviewVersions"][0]), "v1");
        YAML::Node svc = w["clientConfig"]["service"];
        EXPECT_THAT(services, Contains(absl::StrCat("Service ", Str(svc["namespace"]), "/",
                                                    Str(svc["name"]))));
        EXPECT_EQ(Str(svc["port"]), "443");
        EXPECT_TRUE(absl::StartsWith(Str(svc["path"]), "/"));
        std::set<std::string> excluded;
        for (const YAML::Node& e : w["namespaceSelector"]["matchExpressions"]) {
          if (Str(e["key"]) != "kubernetes.io/metadata.name" || Str(e["operator"]) != "NotIn")
            continue;
          for (const YAML::Node& v : e["values"]) excluded.insert(Str(v));
        }
        EXPECT_THAT(excluded, Contains("kube-system"));
        EXPECT_THAT(excluded, Contains(Str(svc["namespace"])));
        bool pods_create_update = false;
        for (const YAML::Node& r : w["rules"]) {
          std::set<std::string> ops, resources;
          for (const YAML::Node& o : r["operations"]) ops.insert(Str(o));
          for (const YAML::Node& x : r["resources"]) resources.insert(Str(x));
          if (ops.count("CREATE") && ops.count("UPDATE") && resources.count("pods")) {
            pods_create_update = true;
          }
        }
        EXPECT_TRUE(pods_create_update);
      }
    }
  }
  EXPECT_EQ(webhooks, 2);
  // The label the namespaceSelector relies on is on our own Namespaces too.
  for (const YAML::Node& ns : OfKind(all, "Namespace")) {
    EXPECT_EQ(Str(ns["metadata"]["labels"]["kubernetes.io/metadata.name"]),
              Str(ns["metadata"]["name"]));
  }
}

TEST(Manifests, AgentKeepsChainsReleaseNamesAndSelector) {
  std::vector<YAML::Node> agent = Kustomize(DeployCopy() + "/agent");
  std::vector<YAML::Node> chains =
      LoadAll(testing::ReadFixture("chains/config/100-deployment.yaml") + "\n---\n" +
              testing::ReadFixture("chains/config/observability-service.yaml") + "\n---\n" +
              testing::ReadFixture("chains/config/100-rolebinding.yaml"));
  std::set<std::string> ours = Ids(agent);
  for (const char* id : {"Namespace /tekton-chains", "Secret tekton-chains/signing-secrets",
                         "ConfigMap tekton-chains/chains-config",
                         "Deployment tekton-chains/tekton-chains-controller",
                         "Service tekton-chains/tekton-chains-metrics",
                         "ServiceAccount tekton-chains/tekton-chains-controller"}) {
    EXPECT_THAT(ours, Contains(id));
    EXPECT_THAT(Ids(chains), Contains(id)) << "not in Chains' release either";
  }
  YAML::Node theirs = OfKind(chains, "Deployment")[0];
  YAML::Node mine = OfKind(agent, "Deployment")[0];
  EXPECT_EQ(Labels(mine["spec"]["selector"]["matchLabels"]),
            Labels(theirs["spec"]["selector"]["matchLabels"]))
      << "a different selector would make `kubectl apply` over a Chains install fail";
  EXPECT_EQ(YAML::Dump(OfKind(agent, "Service")[0]["spec"]["ports"]),
            YAML::Dump(OfKind(chains, "Service")[0]["spec"]["ports"]));
  bool secret_mounted = false;
  for (const YAML::Node& m : mine["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]) {
    if (Str(m["name"]) == "signing-secrets" && Str(m["mountPath"]) == "/etc/signing-secrets" &&
        !m["subPath"]) {
      secret_mounted = true;
    }
  }
  EXPECT_TRUE(secret_mounted);
}

TEST(Manifests, ChainsConfigDocumentsEverySupportedKeyWithAComment) {
  std::string text = ReadFileOrDie(RunfilePath("deploy/agent/chains-config.yaml"));
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  std::map<std::string, std::string> keys;  // key -> the comment line above it
  for (size_t i = 1; i < lines.size(); ++i) {
    absl::string_view l = lines[i];
    if (!absl::ConsumePrefix(&l, "#   ") || absl::StartsWith(l, "#")) continue;
    std::vector<std::string> kv = absl::StrSplit(l, absl::MaxSplits(": ", 1));
    if (kv.size() == 2) keys[kv[0]] = lines[i - 1];
  }
  for (const char* key :
       {"artifacts.taskrun.format", "artifacts.taskrun.storage", "artifacts.taskrun.signer",
        "artifacts.pipelinerun.format", "artifacts.pipelinerun.storage",
        "artifacts.pipelinerun.signer", "artifacts.pipelinerun.enable-deep-inspection",
        "artifacts.oci.format", "artifacts.oci.storage", "artifacts.oci.signer",
        "storage.oci.repository", "storage.oci.repository.insecure", "builder.id",
        "builddefinition.buildtype", "transparency.enabled"}) {
    ASSERT_TRUE(keys.count(key)) << key << " is not documented";
    EXPECT_TRUE(absl::StartsWith(keys[key], "#   # ")) << key << " has no one-line comment";
  }
  // The ConfigMap itself carries no data: the defaults apply, as in Chains' release.
  std::vector<YAML::Node> docs = LoadAll(text);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_FALSE(docs[0]["data"]);
}

TEST(GenCerts, MakesACaAndAServingCertificateForTheServiceNames) {
  std::string out = TempDir();
  CommandResult r = Exec({RunfilePath("deploy/webhook/gen-certs.sh"), "--no-apply", "--out", out,
                          "--days", "30", "--ip", "127.0.0.1"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  r = Exec({"openssl", "verify", "-CAfile", out + "/ca.crt", out + "/tls.crt"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* host : {"hallmark-webhook", "hallmark-webhook.hallmark-system",
                           "hallmark-webhook.hallmark-system.svc",
                           "hallmark-webhook.hallmark-system.svc.cluster.local"}) {
    r = Exec({"openssl", "x509", "-in", out + "/tls.crt", "-noout", "-checkhost", host});
    EXPECT_THAT(r.out, HasSubstr("does match")) << host;
  }
  r = Exec({"openssl", "x509", "-in", out + "/tls.crt", "-noout", "-checkip", "127.0.0.1"});
  EXPECT_THAT(r.out, HasSubstr("does match"));
  r = Exec({"openssl", "x509", "-in", out + "/tls.crt", "-noout", "-checkhost", "other.svc"});
  EXPECT_THAT(r.out, HasSubstr("does NOT match"));
  // The key matches the certificate, and the CA is a CA while the serving certificate is not.
  CommandResult cert_pub = Exec({"openssl", "x509", "-in", out + "/tls.crt", "-noout", "-pubkey"});
  CommandResult key_pub = Exec({"openssl", "pkey", "-in", out + "/tls.key", "-pubout"});
  EXPECT_EQ(cert_pub.out, key_pub.out);
  r = Exec({"openssl", "x509", "-in", out + "/ca.crt", "-noout", "-ext", "basicConstraints"});
  EXPECT_THAT(r.out, HasSubstr("CA:TRUE"));
  r = Exec({"openssl", "x509", "-in", out + "/tls.crt", "-noout", "-ext",
            "basicConstraints,extendedKeyUsage"});
  EXPECT_THAT(r.out, HasSubstr("CA:FALSE"));
  EXPECT_THAT(r.out, HasSubstr("TLS Web Server Authentication"));
  // Private keys are not readable by others.
  r = Exec({"stat", "-c", "%a", out + "/tls.key"});
  EXPECT_EQ(absl::StripAsciiWhitespace(r.out), "600");
}

TEST(GenCerts, RejectsBadArgumentsClearly) {
  CommandResult r = Exec({RunfilePath("deploy/webhook/gen-certs.sh"), "--days", "soon",
                          "--no-apply", "--out", TempDir()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("--days must be a number"));
  r = Exec({RunfilePath("deploy/webhook/gen-certs.sh"), "--no-apply"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("--no-apply needs --out"));
  r = Exec({RunfilePath("deploy/webhook/gen-certs.sh"), "--frobnicate"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("unknown argument '--frobnicate'"));
}

// deploy/Dockerfile copies what runtime-libs.sh selects into distroless/cc: with those copies
// first on the library path, every library the binary loads is either a copy or one of those
// distroless already has (glibc, the loader, libstdc++, libgcc_s).
TEST(Dockerfile, RuntimeLibsCopiesEverySharedLibraryDistrolessLacks) {
  std::string dest = TempDir() + "/lib";
  std::string binary = RunfilePath("cmd/hallmark");
  CommandResult r = Exec({RunfilePath("deploy/runtime-libs.sh"), dest, binary});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("libcurl.so.4"));
  EXPECT_THAT(r.out, HasSubstr("libssl.so.3"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("libc.so.6")));
  testing::CommandOptions with_copies;
  with_copies.env["LD_LIBRARY_PATH"] = dest;
  absl::StatusOr<CommandResult> ldd = RunCommand({"ldd", binary}, with_copies);
  ASSERT_TRUE(ldd.ok()) << ldd.status();
  int copied = 0;
  for (absl::string_view line : absl::StrSplit(ldd->out, '\n', absl::SkipEmpty())) {
    if (!absl::StrContains(line, "=> /")) continue;
    if (absl::StrContains(line, dest + "/")) {
      ++copied;
      continue;
    }
    std::string name(absl::StripAsciiWhitespace(line.substr(0, line.find("=>"))));
    bool in_distroless = false;
    for (const char* prefix : {"libc.so", "libm.so", "libdl.so", "libpthread.so", "librt.so",
                               "libresolv.so", "ld-linux", "libstdc++.so", "libgcc_s.so"}) {
      if (absl::StartsWith(name, prefix)) in_distroless = true;
    }
    EXPECT_TRUE(in_distroless) << "not copied and not in distroless/cc: " << line;
  }
  EXPECT_GE(copied, 5);
  // A missing library is an error, not an incomplete image.
  r = Exec({RunfilePath("deploy/runtime-libs.sh"), dest, "/nonexistent/binary"});
  EXPECT_NE(r.exit_code, 0);
}

}  // namespace
}  // namespace hallmark::tests::deploy
