#include "kube/config.h"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/encoding.h"
#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/internal/kubeconfig.h"

namespace hallmark::kube {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;
using ::hallmark::testing::TempDir;

// WriteFileOrDie, creating the parent folders.
void WriteFileOrDie(const std::string& path, absl::string_view data) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  ::hallmark::testing::WriteFileOrDie(path, data);
}
using internal::KubeconfigFile;
using internal::SelectKubeconfig;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

GetEnv FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

constexpr char kBasic[] = R"(
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority: certs/ca.crt
users:
- name: dev-user
  user:
    token: abc.def
contexts:
- name: dev
  context:
    cluster: dev-cluster
    user: dev-user
    namespace: ci
)";

TEST(KubeconfigTest, SelectsCurrentContextAndResolvesRelativePaths) {
  ASSERT_OK_AND_ASSIGN(auto sel, SelectKubeconfig({{"/home/u/.kube/config", kBasic}}, ""));
  EXPECT_EQ(sel.context, "dev");
  EXPECT_EQ(sel.server, "https://127.0.0.1:6443/");
  EXPECT_EQ(sel.ca_file, "/home/u/.kube/certs/ca.crt");
  EXPECT_EQ(sel.token.InsecureView(), "abc.def");
  EXPECT_EQ(sel.namespace_, "ci");
}

TEST(KubeconfigTest, MergeFirstDefinitionWins) {
  const char* first = R"(
current-context: a
clusters:
- name: shared
  cluster: {server: "https://first:1"}
)";
  const char* second = R"(
current-context: b
clusters:
- name: shared
  cluster: {server: "https://second:2"}
- name: only-second
  cluster: {server: "https://second:3"}
contexts:
- name: a
  context: {cluster: shared}
- name: b
  context: {cluster: only-second}
)";
  ASSERT_OK_AND_ASSIGN(auto sel, SelectKubeconfig({{"/x/1", first}, {"/y/2", second}}, ""));
  EXPECT_EQ(sel.context, "a");               // first non-empty current-context
  EXPECT_EQ(sel.server, "https://first:1");  // first file defining "shared"
  EXPECT_EQ(sel.user, "");                   // no user: anonymous
  ASSERT_OK_AND_ASSIGN(sel, SelectKubeconfig({{"/x/1", first}, {"/y/2", second}}, "b"));
  EXPECT_EQ(sel.server, "https://second:3");
}

TEST(KubeconfigTest, RelativePathsResolveAgainstTheDefiningFile) {
  const char* users = R"(
users:
- name: u
  user: {tokenFile: tok, client-certificate: c.pem, client-key: /abs/k.pem}
)";
  const char* rest = R"(
current-context: c
clusters: [{name: k, cluster: {server: "https://h", certificate-authority: ca.pem}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
)";
  ASSERT_OK_AND_ASSIGN(auto sel,
                       SelectKubeconfig({{"/etc/kube/users.yaml", users}, {"rel/main", rest}}, ""));
  EXPECT_EQ(sel.token_file, "/etc/kube/tok");
  EXPECT_EQ(sel.client_certificate_file, "/etc/kube/c.pem");
  EXPECT_EQ(sel.client_key_file, "/abs/k.pem");
  EXPECT_EQ(sel.ca_file, "rel/ca.pem");
}

TEST(KubeconfigTest, DataFieldsAreBase64Decoded) {
  std::string yaml = absl::StrCat(R"(
current-context: c
clusters: [{name: k, cluster: {server: "https://h", certificate-authority-data: ")",
                                  Base64Encode("CA PEM"), R"("}}]
users: [{name: u, user: {client-certificate-data: ")",
                                  Base64Encode("CERT PEM"), R"(", client-key-data: ")",
                                  Base64Encode("KEY PEM"), R"("}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
)");
  ASSERT_OK_AND_ASSIGN(auto sel, SelectKubeconfig({{"/k", yaml}}, ""));
  EXPECT_EQ(sel.ca_data, "CA PEM");
  EXPECT_EQ(sel.client_certificate_data, "CERT PEM");
  EXPECT_EQ(sel.client_key_data.InsecureView(), "KEY PEM");

  std::string bad = yaml;
  bad.replace(bad.find(Base64Encode("CA PEM")), 4, "!!!!");
  EXPECT_THAT(SelectKubeconfig({{"/k", bad}}, ""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("certificate-authority-data\" is not valid base64")));
}

TEST(KubeconfigTest, InsecureWithCaIsKubectlsError) {
  const char* yaml = R"(
current-context: c
clusters: [{name: k, cluster: {server: "https://h", certificate-authority: ca, insecure-skip-tls-verify: true}}]
contexts: [{name: c, context: {cluster: k}}]
)";
  EXPECT_THAT(SelectKubeconfig({{"/k", yaml}}, ""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("specifying a root certificates file with the insecure flag is "
                                 "not allowed")));
  const char* insecure_only = R"(
current-context: c
clusters: [{name: k, cluster: {server: "https://h", insecure-skip-tls-verify: true}}]
contexts: [{name: c, context: {cluster: k}}]
)";
  ASSERT_OK_AND_ASSIGN(auto sel, SelectKubeconfig({{"/k", insecure_only}}, ""));
  EXPECT_TRUE(sel.insecure_skip_tls_verify);
}

TEST(KubeconfigTest, UnsupportedAuthNamesTheUser) {
  const char* tmpl = R"(
current-context: c
clusters: [{name: k, cluster: {server: "https://h"}}]
contexts: [{name: c, context: {cluster: k, user: gke-user}}]
users:
- name: gke-user
  user:
)";
  struct Case {
    const char* body;
    const char* want;
  } cases[] = {
      {"    exec: {command: gke-gcloud-auth-plugin, apiVersion: "
       "client.authentication.k8s.io/v1beta1}\n",
       "exec credential plugins"},
      {"    auth-provider: {name: gcp}\n", "auth-provider"},
      {"    username: admin\n    password: hunter2\n", "basic authentication"},
      {"    as: someone\n", "impersonation"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<internal::KubeconfigSelection> sel =
        SelectKubeconfig({{"/k", std::string(tmpl) + c.body}}, "");
    EXPECT_THAT(sel, StatusIs(absl::StatusCode::kUnimplemented,
                              AllOf(HasSubstr("user \"gke-user\""), HasSubstr(c.want))));
    EXPECT_THAT(std::string(sel.status().message()), Not(HasSubstr("hunter2")));
  }
}

TEST(KubeconfigTest, ValidationErrors) {
  struct Case {
    const char* yaml;
    const char* context;
    const char* want;
  } cases[] = {
      {"clusters: []\n", "", "no context chosen"},
      {"current-context: x\n", "", "context \"x\" not found"},
      {"current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\n", "", "cluster \"k\""},
      {"current-context: c\ncontexts: [{name: c, context: {}}]\n", "", "names no cluster"},
      {"current-context: c\nclusters: [{name: k, cluster: {}}]\ncontexts: [{name: c, context: "
       "{cluster: k}}]\n",
       "", "has no server"},
      {"current-context: c\nclusters: [{name: k, cluster: {server: ftp://h}}]\ncontexts: "
       "[{name: c, context: {cluster: k}}]\n",
       "", "http:// or https://"},
      {"current-context: c\nclusters: [{name: k, cluster: {server: https://h}}]\ncontexts: "
       "[{name: c, context: {cluster: k, user: nobody}}]\n",
       "", "user \"nobody\""},
      {"current-context: c\nclusters: [{name: k, cluster: {server: https://h}}]\ncontexts: "
       "[{name: c, context: {cluster: k, user: u}}]\nusers: [{name: u, user: "
       "{client-certificate: c.pem}}]\n",
       "", "without a key"},
      {"current-context: c\nclusters: [{name: k, cluster: {server: https://h}}]\ncontexts: "
       "[{name: c, context: {cluster: k, user: u}}]\nusers: [{name: u, user: "
       "{client-certificate: c.pem, client-certificate-data: eA==, client-key: k}}]\n",
       "", "both specified"},
      {"current-context: c\nclusters: [{name: k, cluster: {server: https://h, "
       "insecure-skip-tls-verify: maybe}}]\ncontexts: "
       "[{name: c, context: {cluster: k}}]\n",
       "", "true or false"},
      {"clusters: {name: k}\n", "", "must be a list"},
      {"clusters: [{cluster: {server: x}}]\n", "", "has no name"},
      {"clusters: [{name: k, cluster: [1]}]\n", "", "must be a map"},
      {"[1, 2]\n", "", "top level must be a map"},
      {"a: [\n", "", "not YAML"},
      {"current-context: [x]\n", "", "must be a string"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(SelectKubeconfig({{"/k", c.yaml}}, c.context),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.want)))
        << c.yaml;
  }
  const char* tls_server_name =
      "current-context: c\nclusters: [{name: k, cluster: {server: https://h, tls-server-name: "
      "x}}]\ncontexts: [{name: c, context: {cluster: k}}]\n";
  EXPECT_THAT(SelectKubeconfig({{"/k", tls_server_name}}, ""),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("tls-server-name")));
}

TEST(KubeconfigTest, EmptyFilesAddNothingAndHugeFilesAreRefused) {
  EXPECT_THAT(SelectKubeconfig({{"/empty", ""}, {"/k", kBasic}}, ""), IsOk());
  EXPECT_THAT(SelectKubeconfig({{"/big", std::string(internal::kMaxKubeconfigBytes + 1, ' ')}}, ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("larger than")));
}

// --- Loading from files and the environment ---

TEST(ConfigTest, KubeconfigEnvListMergesSkipsMissingAndReadsReferencedFiles) {
  std::string dir = TempDir();
  WriteFileOrDie(dir + "/certs/ca.crt", "-----CA-----\n");
  WriteFileOrDie(dir + "/config", kBasic);
  KubeconfigOptions options;
  options.getenv = FakeEnv({{"KUBECONFIG", dir + "/missing:" + dir + "/config"}});
  ASSERT_OK_AND_ASSIGN(Config config, KubeconfigConfig(options));
  EXPECT_EQ(config.server, "https://127.0.0.1:6443");  // trailing slash dropped
  EXPECT_EQ(config.ca_pem, "-----CA-----\n");
  EXPECT_EQ(config.token.InsecureView(), "abc.def");
  EXPECT_EQ(config.default_namespace, "ci");
  EXPECT_THAT(config.origin, HasSubstr("dev"));
}

TEST(ConfigTest, ExplicitPathMustExistAndWinsOverTheEnvironment) {
  std::string dir = TempDir();
  KubeconfigOptions options;
  options.path = dir + "/nope";
  options.getenv = FakeEnv({{"KUBECONFIG", "/also/missing"}});
  EXPECT_THAT(KubeconfigConfig(options), StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope")));
}

TEST(ConfigTest, HomeKubeConfigAndMissingEverything) {
  std::string home = TempDir();
  KubeconfigOptions options;
  options.getenv = FakeEnv({{"HOME", home}});
  EXPECT_THAT(KubeconfigConfig(options), StatusIs(absl::StatusCode::kNotFound));
  WriteFileOrDie(home + "/.kube/certs/ca.crt", "ca");
  WriteFileOrDie(home + "/.kube/config", kBasic);
  ASSERT_OK_AND_ASSIGN(Config config, KubeconfigConfig(options));
  EXPECT_EQ(config.ca_pem, "ca");
}

TEST(ConfigTest, MissingReferencedFileIsNotFound) {
  std::string dir = TempDir();
  WriteFileOrDie(dir + "/config", kBasic);  // certs/ca.crt absent
  KubeconfigOptions options;
  options.path = dir + "/config";
  EXPECT_THAT(KubeconfigConfig(options),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("certificate-authority")));
}

TEST(ConfigTest, TokenFileAndClientKeyFile) {
  std::string dir = TempDir();
  WriteFileOrDie(dir + "/tok", "file-token\n");
  WriteFileOrDie(dir + "/c.pem", "CERT");
  WriteFileOrDie(dir + "/k.pem", "KEY");
  WriteFileOrDie(dir + "/config", R"(
current-context: c
clusters: [{name: k, cluster: {server: "https://h:1"}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users: [{name: u, user: {tokenFile: tok, client-certificate: c.pem, client-key: k.pem}}]
)");
  KubeconfigOptions options;
  options.path = dir + "/config";
  ASSERT_OK_AND_ASSIGN(Config config, KubeconfigConfig(options));
  EXPECT_TRUE(config.token.empty());
  EXPECT_EQ(config.token_file, dir + "/tok");
  EXPECT_EQ(config.client_cert_pem, "CERT");
  EXPECT_EQ(config.client_key_pem.InsecureView(), "KEY");
  EXPECT_EQ(config.default_namespace, "default");
}

TEST(ConfigTest, InClusterReadsTheServiceAccountFolder) {
  std::string sa = TempDir();
  WriteFileOrDie(sa + "/token", "sa-token");
  WriteFileOrDie(sa + "/ca.crt", "CLUSTER CA");
  WriteFileOrDie(sa + "/namespace", "tekton-chains\n");
  InClusterOptions options;
  options.service_account_dir = sa;
  options.getenv =
      FakeEnv({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}});
  ASSERT_OK_AND_ASSIGN(Config config, InClusterConfig(options));
  EXPECT_EQ(config.server, "https://10.96.0.1:443");
  EXPECT_EQ(config.token_file, sa + "/token");
  EXPECT_TRUE(config.token.empty());
  EXPECT_EQ(config.ca_pem, "CLUSTER CA");
  EXPECT_EQ(config.default_namespace, "tekton-chains");
  EXPECT_EQ(config.origin, "in-cluster");

  options.getenv = FakeEnv({{"KUBERNETES_SERVICE_HOST", "fd00::1"},
                            {"KUBERNETES_SERVICE_PORT", "6443"},
                            {"POD_NAMESPACE", "from-env"}});
  ASSERT_OK_AND_ASSIGN(config, InClusterConfig(options));
  EXPECT_EQ(config.server, "https://[fd00::1]:6443");
  EXPECT_EQ(config.default_namespace, "from-env");
}

TEST(ConfigTest, InClusterErrors) {
  InClusterOptions options;
  options.service_account_dir = TempDir();
  options.getenv = FakeEnv({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}});
  EXPECT_THAT(InClusterConfig(options), StatusIs(absl::StatusCode::kFailedPrecondition,
                                                 HasSubstr("not running in a cluster")));
  options.getenv =
      FakeEnv({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}});
  EXPECT_THAT(InClusterConfig(options), StatusIs(absl::StatusCode::kNotFound, HasSubstr("token")));
  options.getenv =
      FakeEnv({{"KUBERNETES_SERVICE_HOST", "10.0.0.1/evil"}, {"KUBERNETES_SERVICE_PORT", "443"}});
  EXPECT_THAT(InClusterConfig(options), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ConfigTest, LoadConfigPrecedence) {
  std::string sa = TempDir();
  WriteFileOrDie(sa + "/token", "t");
  WriteFileOrDie(sa + "/ca.crt", "ca");
  std::string home = TempDir();
  WriteFileOrDie(home + "/.kube/certs/ca.crt", "ca");
  WriteFileOrDie(home + "/.kube/config", kBasic);
  InClusterOptions in_cluster;
  in_cluster.service_account_dir = sa;

  KubeconfigOptions kc;
  kc.getenv = FakeEnv({{"HOME", home},
                       {"KUBERNETES_SERVICE_HOST", "10.0.0.1"},
                       {"KUBERNETES_SERVICE_PORT", "443"}});
  ASSERT_OK_AND_ASSIGN(Config config, LoadConfig(kc, in_cluster));
  EXPECT_EQ(config.origin, "in-cluster");  // in a pod, ~/.kube/config is not consulted

  kc.getenv = FakeEnv({{"HOME", home}});
  ASSERT_OK_AND_ASSIGN(config, LoadConfig(kc, in_cluster));
  EXPECT_THAT(config.origin, HasSubstr("kubeconfig"));

  kc.getenv = FakeEnv({{"HOME", home},
                       {"KUBECONFIG", home + "/.kube/config"},
                       {"KUBERNETES_SERVICE_HOST", "10.0.0.1"},
                       {"KUBERNETES_SERVICE_PORT", "443"}});
  ASSERT_OK_AND_ASSIGN(config, LoadConfig(kc, in_cluster));
  EXPECT_THAT(config.origin, HasSubstr("kubeconfig"));  // KUBECONFIG beats in-cluster
}

}  // namespace
}  // namespace hallmark::kube
