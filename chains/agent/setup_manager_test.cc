#include "chains/agent/setup_manager.h"

#include <atomic>
#include <map>
#include <string>

#include "base/secret_data.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "oci/curl_registry_client.h"
#include "oci/reference.h"
#include "signer/key_store.h"

namespace hallmark::chains::agent {
namespace {

using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;
using Data = std::map<std::string, std::string>;

signer::SecretFiles X509() {
  signer::SecretFiles files;
  files.emplace("x509.pem", SecretData(testing::ReadFixture("chains/keys/x509.pem")));
  return files;
}

class SetupManagerTest : public ::testing::Test {
 protected:
  SetupManagerTest()
      : keys_("Secret tekton-chains/signing-secrets"),
        manager_(&keys_, {}, [this] { ++changes_; }) {}
  signer::KeyStore keys_;
  std::atomic<int> changes_{0};
  SetupManager manager_;
};

TEST_F(SetupManagerTest, NothingBeforeTheConfigIsRead) {
  EXPECT_FALSE(manager_.ConfigKnown());
  EXPECT_THAT(manager_.Current().status(), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(SetupManagerTest, DefaultsWithoutAConfigMapAndTheKeyFollowsTheStore) {
  ASSERT_OK(manager_.UpdateConfig(std::nullopt));
  ASSERT_OK_AND_ASSIGN(auto setup, manager_.Current());
  EXPECT_EQ(setup->config.taskrun.storage, std::set<std::string>{"tekton"});
  EXPECT_NE(setup->tekton, nullptr);
  EXPECT_NE(setup->oci, nullptr);  // artifacts.oci.storage defaults to oci
  EXPECT_THAT(setup->signer.status(), StatusIs(absl::StatusCode::kUnavailable));

  keys_.Update(X509());
  manager_.KeyChanged();
  ASSERT_OK_AND_ASSIGN(setup, manager_.Current());
  ASSERT_OK(setup->signer.status());
  EXPECT_THAT((*setup->signer)->Describe(), HasSubstr("x509.pem"));
  EXPECT_EQ(changes_.load(), 2);
}

TEST_F(SetupManagerTest, InvalidKeepsThePreviousAndUnsupportedMakesRunsWait) {
  ASSERT_OK(manager_.UpdateConfig(Data{{"artifacts.taskrun.storage", "oci"}}));
  ASSERT_OK_AND_ASSIGN(auto first, manager_.Current());
  // Invalid: refused, the previous config stays in force.
  EXPECT_THAT(manager_.UpdateConfig(Data{{"artifacts.taskrun.format", "tekton"}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(auto kept, manager_.Current());
  EXPECT_EQ(kept->config.taskrun.storage, std::set<std::string>{"oci"});
  // The oci backend is reused while its options are unchanged.
  EXPECT_EQ(kept->oci, first->oci);
  // Unsupported: adopted as unusable.
  EXPECT_THAT(manager_.UpdateConfig(Data{{"artifacts.taskrun.storage", "gcs"}}),
              StatusIs(absl::StatusCode::kUnimplemented));
  EXPECT_THAT(manager_.Current().status(),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("\"gcs\"")));
  // Fixed.
  ASSERT_OK(manager_.UpdateConfig(Data{{"artifacts.taskrun.storage", "tekton"}}));
  ASSERT_OK(manager_.Current().status());
}

TEST_F(SetupManagerTest, AnInvalidFirstConfigMakesRunsWait) {
  EXPECT_THAT(manager_.UpdateConfig(Data{{"storage.oci.repository.insecure", "maybe"}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(manager_.Current().status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("maybe")));
}

TEST_F(SetupManagerTest, ANewRepositoryGetsItsOwnBackend) {
  ASSERT_OK(manager_.UpdateConfig(Data{}));
  ASSERT_OK_AND_ASSIGN(auto plain, manager_.Current());
  ASSERT_OK(manager_.UpdateConfig(Data{{"storage.oci.repository", "registry.example/sigs"},
                                       {"storage.oci.repository.insecure", "true"}}));
  ASSERT_OK_AND_ASSIGN(auto moved, manager_.Current());
  EXPECT_NE(plain->oci, moved->oci);
  ASSERT_OK(manager_.UpdateConfig(Data{}));
  ASSERT_OK_AND_ASSIGN(auto back, manager_.Current());
  EXPECT_EQ(back->oci, plain->oci);
  EXPECT_EQ(manager_.RegistryRequests(), 0u);
}

oci::Keychain KeychainWith(const std::string& registry, const std::string& password) {
  oci::Keychain keychain;
  oci::Credentials c;
  c.username = "ci";
  c.password = SecretData(password);
  keychain.Add(registry, std::move(c));
  return keychain;
}

// New credentials give the next Setup a new registry client built with them; a Setup taken
// before keeps its backend (and client) working, and the request counter stays monotonic.
TEST(SetupManagerKeychainTest, NewCredentialsBuildNewClientsAndOldSetupsKeepTheirs) {
  const std::string registry = absl::StrCat("127.0.0.1:", hallmark::testing::FreePort());
  signer::KeyStore keys("Secret tekton-chains/signing-secrets");
  std::vector<std::string> built_with;  // the password each client was built with
  std::atomic<int> changes{0};
  RegistryOptions options;
  options.keychain = KeychainWith(registry, "old-password");
  options.max_attempts = 1;
  options.request_timeout = absl::Seconds(2);
  SetupManager manager(
      &keys, std::move(options), [&changes] { ++changes; },
      [&built_with, &registry](oci::RegistryClientOptions o) {
        const oci::Credentials* c = o.keychain.Find(registry);
        built_with.push_back(c == nullptr ? "" : std::string(c->password.InsecureView()));
        return oci::NewCurlRegistryClient(std::move(o));
      });
  ASSERT_OK(manager.UpdateConfig(std::map<std::string, std::string>{}));
  ASSERT_OK_AND_ASSIGN(auto before, manager.Current());
  ASSERT_NE(before->oci, nullptr);
  EXPECT_EQ(built_with, std::vector<std::string>{"old-password"});

  // A request through the old backend (nothing listens: it fails, and is counted).
  ASSERT_OK_AND_ASSIGN(oci::Reference image, oci::Reference::Parse(absl::StrCat(
                                                 registry, "/app@sha256:", std::string(64, 'a'))));
  EXPECT_FALSE(before->oci->CheckImage(image).ok());
  uint64_t requests = manager.RegistryRequests();
  EXPECT_GE(requests, 1u);

  int changes_before = changes.load();
  manager.UpdateKeychain(KeychainWith(registry, "new-password"));
  EXPECT_EQ(changes.load(), changes_before + 1);
  ASSERT_OK_AND_ASSIGN(auto after, manager.Current());
  ASSERT_NE(after->oci, nullptr);
  EXPECT_NE(after->oci, before->oci);
  EXPECT_EQ(built_with, (std::vector<std::string>{"old-password", "new-password"}));
  // The config and signer are carried over unchanged.
  EXPECT_EQ(after->config.taskrun.storage, before->config.taskrun.storage);

  // The old Setup still works (its client is alive) and its requests still count.
  EXPECT_FALSE(before->oci->CheckImage(image).ok());
  EXPECT_GT(manager.RegistryRequests(), requests);
  requests = manager.RegistryRequests();
  before.reset();  // the last holder of the old client
  EXPECT_GE(manager.RegistryRequests(), requests);

  // A config change afterwards reuses the new-credential backend.
  ASSERT_OK(manager.UpdateConfig(
      std::map<std::string, std::string>{{"artifacts.taskrun.storage", "oci"}}));
  ASSERT_OK_AND_ASSIGN(auto reconfigured, manager.Current());
  EXPECT_EQ(reconfigured->oci, after->oci);
  EXPECT_EQ(built_with.size(), 2u);
}

}  // namespace
}  // namespace hallmark::chains::agent
