#include "signer/secret_dir.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>

#include "absl/time/clock.h"
#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "crypto/private_key.h"
#include "crypto/public_key.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::signer {
namespace {

using ::hallmark::testing::StatusIs;
using ::hallmark::testing::WriteFileOrDie;
using ::testing::HasSubstr;

TEST(ReadSecretDirTest, MissingFolderIsNulloptAndFilesAreRead) {
  ASSERT_OK_AND_ASSIGN(auto none, ReadSecretDir("/nonexistent/signing-secrets"));
  EXPECT_FALSE(none.has_value());
  std::string dir = testing::TempDir();
  WriteFileOrDie(dir + "/cosign.key", "k");
  WriteFileOrDie(dir + "/cosign.pub", "ignored");
  ASSERT_OK_AND_ASSIGN(auto files, ReadSecretDir(dir));
  ASSERT_TRUE(files.has_value());
  EXPECT_EQ(files->size(), 1u);
  EXPECT_EQ(files->at("cosign.key").InsecureView(), "k");
}

TEST(ReadSecretDirTest, OversizedFileIsRefusedAndTheWatcherSaysWhy) {
  std::string dir = testing::TempDir();
  WriteFileOrDie(dir + "/x509.pem", std::string(kMaxSecretFileBytes + 1, 'a'));
  EXPECT_THAT(ReadSecretDir(dir).status(), StatusIs(absl::StatusCode::kInvalidArgument));
  KeyStore store("folder " + dir);
  ASSERT_OK_AND_ASSIGN(auto watcher, SecretDirWatcher::New(dir, &store));
  EXPECT_TRUE(watcher->PollOnce());
  EXPECT_FALSE(watcher->PollOnce());  // the same reason: no change
  EXPECT_THAT(store.Current().status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("x509.pem")));
  EXPECT_THAT(std::string(store.Current().status().message()), HasSubstr("larger than"));
}

TEST(SecretDirWatcherTest, PicksUpAKeyAddedLaterAndARotation) {
  std::string dir = testing::TempDir() + "/signing-secrets";
  KeyStore store("folder " + dir);
  std::atomic<int> changes{0};
  ASSERT_OK_AND_ASSIGN(
      auto watcher, SecretDirWatcher::New(dir, &store, absl::Milliseconds(20), [&] { ++changes; }));
  EXPECT_TRUE(watcher->PollOnce());
  EXPECT_THAT(store.Current().status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not found")));
  watcher->Start();

  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  WriteFileOrDie(dir + "/cosign.key", testing::ReadFixture("chains/keys/cosign.key"));
  WriteFileOrDie(dir + "/cosign.password", "p");
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!store.Current().ok() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_OK_AND_ASSIGN(auto first, store.Current());
  ASSERT_OK_AND_ASSIGN(crypto::PublicKey cosign_pub,
                       crypto::PublicKey::ParsePem(testing::ReadFixture("chains/keys/cosign.pub")));
  ASSERT_OK_AND_ASSIGN(std::string sig, first->Sign("a"));
  EXPECT_OK(cosign_pub.Verify("a", sig));

  // Rotation: x509.pem appears and wins.
  WriteFileOrDie(dir + "/x509.pem", testing::ReadFixture("chains/keys/x509.pem"));
  deadline = absl::Now() + absl::Seconds(10);
  std::shared_ptr<const Signer> now = first;
  while (now == first && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
    now = *store.Current();
  }
  EXPECT_THAT(now->Describe(), HasSubstr("x509.pem"));
  watcher->Stop();
  EXPECT_GE(changes.load(), 2);
  EXPECT_EQ(store.loads(), 2u);  // polled many times, decrypted once per content
}

}  // namespace
}  // namespace hallmark::signer
