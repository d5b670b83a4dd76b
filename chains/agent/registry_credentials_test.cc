#include "chains/agent/registry_credentials.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "base/encoding.h"
#include "base/file.h"
#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::chains::agent {
namespace {

using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;
using Outcome = RegistryCredentials::Outcome;

constexpr char kRegistry[] = "registry.example:5000";
constexpr char kOther[] = "other.example";

std::string ConfigJson(const std::string& registry, const std::string& user,
                       const std::string& password) {
  return absl::StrCat(R"({"auths":{")", registry, R"(":{"auth":")",
                      Base64Encode(absl::StrCat(user, ":", password)), R"("}}})");
}

std::string PasswordFor(const oci::Keychain& keychain, const std::string& registry) {
  const oci::Credentials* c = keychain.Find(registry);
  return c == nullptr ? "<anonymous>" : std::string(c->password.InsecureView());
}

// What the kubelet does to a mounted Secret: a new timestamped folder, then `..data` swapped.
void KubeletUpdate(const std::string& dir, const std::string& content) {
  static int version = 0;
  std::string data_dir = absl::StrCat("..v", ++version);
  ASSERT_EQ(::mkdir(absl::StrCat(dir, "/", data_dir).c_str(), 0700), 0);
  hallmark::testing::WriteFileOrDie(absl::StrCat(dir, "/", data_dir, "/.dockerconfigjson"),
                                    content);
  std::string tmp = dir + "/..data_tmp";
  ASSERT_EQ(::symlink(data_dir.c_str(), tmp.c_str()), 0);
  ASSERT_EQ(::rename(tmp.c_str(), (dir + "/..data").c_str()), 0);
  std::string link = dir + "/.dockerconfigjson";
  if (::access(link.c_str(), F_OK) != 0) {
    ASSERT_EQ(::symlink("..data/.dockerconfigjson", link.c_str()), 0);
  }
}

class RegistryCredentialsTest : public ::testing::Test {
 protected:
  std::unique_ptr<RegistryCredentials> Make(const std::string& file) {
    RegistryCredentialsOptions options;
    options.config_file = file;
    options.clock = &clock_;
    absl::StatusOr<std::unique_ptr<RegistryCredentials>> creds =
        RegistryCredentials::New(std::move(options));
    EXPECT_OK(creds.status());
    return creds.ok() ? *std::move(creds) : nullptr;
  }
  FakeClock clock_;
  std::string dir_ = hallmark::testing::TempDir();
};

TEST_F(RegistryCredentialsTest, AMountedSecretIsFollowedThroughItsSymlink) {
  KubeletUpdate(dir_, ConfigJson(kRegistry, "ci", "old-password"));
  auto creds = Make(dir_ + "/.dockerconfigjson");
  ASSERT_NE(creds, nullptr);
  EXPECT_TRUE(creds->FileExists());
  EXPECT_EQ(PasswordFor(creds->Keychain(), kRegistry), "old-password");
  EXPECT_EQ(creds->CheckFile(/*force=*/true).outcome, Outcome::kUnchanged);

  KubeletUpdate(dir_, ConfigJson(kRegistry, "ci", "new-password"));
  // Rate-limited: no stat within min_check_interval unless forced.
  EXPECT_EQ(creds->CheckFile().outcome, Outcome::kUnchanged);
  EXPECT_EQ(PasswordFor(creds->Keychain(), kRegistry), "old-password");
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(creds->CheckFile().outcome, Outcome::kLoaded);
  EXPECT_EQ(PasswordFor(creds->Keychain(), kRegistry), "new-password");
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(creds->CheckFile().outcome, Outcome::kUnchanged);
}

TEST_F(RegistryCredentialsTest, ABrokenFileKeepsThePreviousCredentialsWithoutSayingThem) {
  std::string file = dir_ + "/config.json";
  hallmark::testing::WriteFileOrDie(file, ConfigJson(kRegistry, "ci", "good-password"));
  auto creds = Make(file);
  ASSERT_NE(creds, nullptr);

  // A truncated rewrite: rejected, the previous credentials stay, the error names the file.
  ASSERT_OK(
      WriteFileAtomic(file, R"({"auths":{"registry.example:5000":{"auth":"c2VjcmV0LXBhc3)", 0600));
  RegistryCredentials::Result r = creds->CheckFile(/*force=*/true);
  EXPECT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_THAT(r.error, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(file)));
  EXPECT_THAT(std::string(r.error.message()), Not(HasSubstr("c2VjcmV0LXBhc3")));
  EXPECT_EQ(PasswordFor(creds->Keychain(), kRegistry), "good-password");
  // Reported once, not on every check.
  EXPECT_EQ(creds->CheckFile(/*force=*/true).outcome, Outcome::kUnchanged);

  // `auth` without a colon: rejected, and the message holds neither the value nor its decoding.
  ASSERT_OK(WriteFileAtomic(file,
                            absl::StrCat(R"({"auths":{"registry.example:5000":{"auth":")",
                                         Base64Encode("no-colon-secret"), R"("}}})"),
                            0600));
  r = creds->CheckFile(/*force=*/true);
  EXPECT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_THAT(std::string(r.error.message()), Not(HasSubstr("no-colon-secret")));
  EXPECT_THAT(std::string(r.error.message()), Not(HasSubstr(Base64Encode("no-colon-secret"))));

  // The explicit file disappears: broken too, credentials kept.
  ASSERT_EQ(::unlink(file.c_str()), 0);
  r = creds->CheckFile(/*force=*/true);
  EXPECT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_THAT(r.error, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(PasswordFor(creds->Keychain(), kRegistry), "good-password");

  // Fixed.
  hallmark::testing::WriteFileOrDie(file, ConfigJson(kRegistry, "ci", "fixed-password"));
  EXPECT_EQ(creds->CheckFile(/*force=*/true).outcome, Outcome::kLoaded);
  EXPECT_EQ(PasswordFor(creds->Keychain(), kRegistry), "fixed-password");
}

TEST_F(RegistryCredentialsTest, AnExplicitFileMustExistAndParseAtStart) {
  RegistryCredentialsOptions options;
  options.config_file = dir_ + "/missing.json";
  EXPECT_THAT(RegistryCredentials::New(options).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing.json")));
  hallmark::testing::WriteFileOrDie(dir_ + "/bad.json", "{not json");
  options.config_file = dir_ + "/bad.json";
  EXPECT_THAT(RegistryCredentials::New(options).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad.json")));
}

TEST_F(RegistryCredentialsTest, TheDefaultFileMayComeAndGo) {
  ASSERT_EQ(::setenv("DOCKER_CONFIG", dir_.c_str(), 1), 0);
  auto creds = Make("");
  ASSERT_NE(creds, nullptr);
  EXPECT_EQ(creds->file(), dir_ + "/config.json");
  EXPECT_FALSE(creds->FileExists());
  EXPECT_TRUE(creds->Keychain().empty());
  hallmark::testing::WriteFileOrDie(dir_ + "/config.json", ConfigJson(kRegistry, "ci", "pw"));
  EXPECT_EQ(creds->CheckFile(/*force=*/true).outcome, Outcome::kLoaded);
  EXPECT_EQ(PasswordFor(creds->Keychain(), kRegistry), "pw");
  // docker treats a missing default file as anonymous: so do we.
  ASSERT_EQ(::unlink((dir_ + "/config.json").c_str()), 0);
  EXPECT_EQ(creds->CheckFile(/*force=*/true).outcome, Outcome::kRemoved);
  EXPECT_TRUE(creds->Keychain().empty());
  ::unsetenv("DOCKER_CONFIG");
}

TEST_F(RegistryCredentialsTest, TheSecretIsMergedBelowTheFileAndCanBeDeleted) {
  std::string file = dir_ + "/config.json";
  hallmark::testing::WriteFileOrDie(file, ConfigJson(kRegistry, "ci", "file-password"));
  auto creds = Make(file);
  ASSERT_NE(creds, nullptr);
  EXPECT_EQ(creds->RemoveSecret().outcome, Outcome::kUnchanged);

  oci::Keychain secret;
  oci::Credentials both;
  both.username = "bot";
  both.password = SecretData("secret-password-1");
  secret.Add(kRegistry, both);
  secret.Add(kOther, both);
  EXPECT_EQ(creds->UpdateSecret(secret).outcome, Outcome::kLoaded);
  // The file wins for the registry both name; the Secret adds the other.
  EXPECT_EQ(PasswordFor(creds->Keychain(), kRegistry), "file-password");
  EXPECT_EQ(PasswordFor(creds->Keychain(), kOther), "secret-password-1");

  // An invalid version is rejected and the previous Secret credentials stay.
  RegistryCredentials::Result r =
      creds->UpdateSecret(absl::InvalidArgumentError("Secret type \"Opaque\" is not supported"));
  EXPECT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_THAT(r.error, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Opaque")));
  EXPECT_EQ(PasswordFor(creds->Keychain(), kOther), "secret-password-1");

  EXPECT_EQ(creds->RemoveSecret().outcome, Outcome::kRemoved);
  EXPECT_EQ(PasswordFor(creds->Keychain(), kOther), "<anonymous>");
  EXPECT_EQ(PasswordFor(creds->Keychain(), kRegistry), "file-password");
}

}  // namespace
}  // namespace hallmark::chains::agent
