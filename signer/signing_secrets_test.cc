#include "signer/signing_secrets.h"

#include <string>

#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "crypto/private_key.h"
#include "crypto/public_key.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::signer {
namespace {

using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

SecretFiles CosignFiles(absl::string_view password = "p") {
  SecretFiles files;
  files.emplace("cosign.key", SecretData(testing::ReadFixture("chains/keys/cosign.key")));
  files.emplace("cosign.password", SecretData(password));
  files.emplace("cosign.pub", SecretData(testing::ReadFixture("chains/keys/cosign.pub")));
  return files;
}

TEST(LoadSignerTest, CosignKeyWithPasswordSignsForCosignPub) {
  ASSERT_OK_AND_ASSIGN(auto signer, LoadSigner(CosignFiles()));
  ASSERT_OK_AND_ASSIGN(crypto::PublicKey pub,
                       crypto::PublicKey::ParsePem(testing::ReadFixture("chains/keys/cosign.pub")));
  ASSERT_OK_AND_ASSIGN(std::string sig, signer->Sign("hello"));
  EXPECT_OK(pub.Verify("hello", sig));
  EXPECT_THAT(signer->Describe(), HasSubstr("cosign.key"));
}

TEST(LoadSignerTest, X509PemWinsOverCosignKeyLikeChains) {
  SecretFiles files = CosignFiles();
  files.emplace("x509.pem", SecretData(testing::ReadFixture("chains/keys/x509.pem")));
  ASSERT_OK_AND_ASSIGN(auto signer, LoadSigner(files));
  EXPECT_THAT(signer->Describe(), HasSubstr("x509.pem"));
  ASSERT_OK_AND_ASSIGN(crypto::PrivateKey x509,
                       crypto::PrivateKey::ParsePem(testing::ReadFixture("chains/keys/x509.pem")));
  ASSERT_OK_AND_ASSIGN(std::string sig, signer->Sign("hello"));
  EXPECT_OK(x509.public_key().Verify("hello", sig));
}

TEST(LoadSignerTest, BrokenX509PemIsAnErrorEvenWithAGoodCosignKey) {
  SecretFiles files = CosignFiles();
  files.emplace("x509.pem",
                SecretData("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"));
  EXPECT_THAT(LoadSigner(files).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("x509.pem: ")));
}

TEST(LoadSignerTest, EmptyX509PemCountsAsAbsent) {
  SecretFiles files = CosignFiles();
  files.emplace("x509.pem", SecretData(""));
  ASSERT_OK_AND_ASSIGN(auto signer, LoadSigner(files));
  EXPECT_THAT(signer->Describe(), HasSubstr("cosign.key"));
}

TEST(LoadSignerTest, WrongPasswordSaysDecryptionFailedWithoutThePassword) {
  absl::Status s = LoadSigner(CosignFiles("hunter2-wrong-password")).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition,
                          HasSubstr("cosign.key: decrypt: encrypted: decryption failed")));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("hunter2")));
}

TEST(LoadSignerTest, MissingPasswordAndMissingKeyAreNamed) {
  SecretFiles no_password = CosignFiles();
  no_password.erase("cosign.password");
  EXPECT_THAT(LoadSigner(no_password).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "cosign.key is present but cosign.password is missing"));
  SecretFiles only_pub;
  only_pub.emplace("cosign.pub", SecretData("x"));
  EXPECT_THAT(LoadSigner(only_pub).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "no valid private key found, looked for: [x509.pem, cosign.key]"));
}

TEST(SecretVersionTest, ChangesWithKeyFilesOnly) {
  SecretFiles a = CosignFiles();
  SecretFiles b = CosignFiles();
  EXPECT_EQ(SecretVersion(a), SecretVersion(b));
  b["cosign.pub"] = SecretData("another public key");
  EXPECT_EQ(SecretVersion(a), SecretVersion(b));  // cosign.pub is not used for signing
  b["cosign.password"] = SecretData("q");
  EXPECT_NE(SecretVersion(a), SecretVersion(b));
  SecretFiles c = CosignFiles();
  c.erase("cosign.password");
  c.emplace("cosign.password", SecretData(""));
  SecretFiles d = CosignFiles();
  d.erase("cosign.password");
  EXPECT_NE(SecretVersion(c), SecretVersion(d));  // empty and absent differ
  EXPECT_EQ(SecretVersion(a).size(), 64u);
}

}  // namespace
}  // namespace hallmark::signer
