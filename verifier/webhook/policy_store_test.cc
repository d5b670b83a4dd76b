// Policy files: loaded at start (a broken one stops the start), re-read on change, a broken edit
// keeps the previous version, removals remove, ConfigMap mounts (..data) are read once.
#include "verifier/webhook/policy_store.h"

#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_replace.h"
#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::verifier::webhook {
namespace {

using ::hallmark::testing::ReadFixture;
using ::hallmark::testing::StatusIs;
using ::hallmark::testing::TempDir;
using ::hallmark::testing::WriteFileOrDie;
using ::testing::HasSubstr;

std::vector<std::string> Names(const PolicyStore& store) {
  std::vector<std::string> out;
  for (const policy::Policy& p : store.Get()->policies) out.push_back(p.name);
  return out;
}

TEST(PolicyStoreTest, FolderIsWatchedAndBrokenEditsKeepThePreviousVersion) {
  const std::string dir = TempDir();
  const std::string seed = ReadFixture("seed/kyverno.only-cosign-image-deploy.yaml");
  WriteFileOrDie(dir + "/a.yaml", seed);
  WriteFileOrDie(dir + "/notes.txt", "not a policy");
  PolicyStore store;
  Metrics metrics;
  int changes = 0;
  store.AddListener([&](const PolicySnapshot&) { ++changes; });
  ASSERT_OK_AND_ASSIGN(auto watcher,
                       FilePolicyWatcher::Start(dir, {}, &store, &metrics, absl::Hours(1)));
  EXPECT_THAT(Names(store), ::testing::ElementsAre("only-cosign-image-deploy"));
  const std::string first_version = store.Get()->policies[0].version;
  EXPECT_EQ(watcher->RescanForTest(), 0);  // nothing changed

  WriteFileOrDie(dir + "/a.yaml", absl::StrReplaceAll(seed, {{"- policy", "- production"}}));
  EXPECT_EQ(watcher->RescanForTest(), 1);
  EXPECT_NE(store.Get()->policies[0].version, first_version);
  EXPECT_THAT(store.Get()->policies[0].rules[0].match.any[0].namespaces,
              ::testing::ElementsAre("production"));

  WriteFileOrDie(dir + "/a.yaml",
                 absl::StrReplaceAll(seed, {{"ignoreTlog: true", "ignoreTlog: false"}}));
  EXPECT_EQ(watcher->RescanForTest(), 0);
  EXPECT_THAT(store.Get()->policies[0].rules[0].match.any[0].namespaces,
              ::testing::ElementsAre("production"));
  EXPECT_THAT(metrics.Render(), HasSubstr("hallmark_webhook_policy_errors_total 1"));

  WriteFileOrDie(dir + "/b.json", ReadFixture("kyverno/policies/upstream-keyed-basic.yaml"));
  EXPECT_EQ(watcher->RescanForTest(), 1);
  EXPECT_THAT(Names(store),
              ::testing::ElementsAre("keyed-basic-policy", "only-cosign-image-deploy"));
  ASSERT_EQ(std::remove((dir + "/a.yaml").c_str()), 0);
  EXPECT_EQ(watcher->RescanForTest(), 1);
  EXPECT_THAT(Names(store), ::testing::ElementsAre("keyed-basic-policy"));
  EXPECT_GE(changes, 4);
}

TEST(PolicyStoreTest, ConfigMapMountsAreReadOnce) {
  // What the kubelet makes: ..2026_x/policy.yaml, ..data -> ..2026_x, policy.yaml ->
  // ..data/policy.yaml
  const std::string dir = TempDir();
  ASSERT_EQ(mkdir((dir + "/..2026_01").c_str(), 0755), 0);
  WriteFileOrDie(dir + "/..2026_01/policy.yaml",
                 ReadFixture("seed/kyverno.only-cosign-image-deploy.yaml"));
  ASSERT_EQ(symlink("..2026_01", (dir + "/..data").c_str()), 0);
  ASSERT_EQ(symlink("..data/policy.yaml", (dir + "/policy.yaml").c_str()), 0);
  PolicyStore store;
  ASSERT_OK_AND_ASSIGN(auto watcher,
                       FilePolicyWatcher::Start(dir, {}, &store, nullptr, absl::Hours(1)));
  EXPECT_EQ(store.Get()->policies.size(), 1u);
}

TEST(PolicyStoreTest, StartRefusesWhatItCannotEnforce) {
  const std::string dir = TempDir();
  WriteFileOrDie(dir + "/p.yaml",
                 absl::StrReplaceAll(ReadFixture("seed/kyverno.only-cosign-image-deploy.yaml"),
                                     {{"ignoreTlog: true", "ignoreTlog: false"}}));
  PolicyStore store;
  EXPECT_THAT(FilePolicyWatcher::Start(dir + "/p.yaml", {}, &store, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("p.yaml: ClusterPolicy \"only-cosign-image-deploy\"")));
  EXPECT_THAT(FilePolicyWatcher::Start(dir + "/missing", {}, &store, nullptr),
              StatusIs(absl::StatusCode::kNotFound));
  policy::LoadOptions insecure;
  insecure.insecure_ignore_tlog = true;
  EXPECT_OK(FilePolicyWatcher::Start(dir, insecure, &store, nullptr).status());
}

}  // namespace
}  // namespace hallmark::verifier::webhook
