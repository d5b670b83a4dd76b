#include "signer/key_signer.h"

#include <string>

#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "crypto/dsse.h"
#include "crypto/key_id.h"
#include "crypto/private_key.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::signer {
namespace {

using ::testing::HasSubstr;

TEST(KeySignerTest, SignsAndVerifiesWithItsPublicKey) {
  ASSERT_OK_AND_ASSIGN(crypto::PrivateKey key,
                       crypto::PrivateKey::ParsePem(testing::ReadFixture("chains/keys/x509.pem")));
  ASSERT_OK_AND_ASSIGN(auto signer, KeySigner::New(key, "x509.pem"));
  ASSERT_OK_AND_ASSIGN(std::string sig, signer->Sign("payload"));
  EXPECT_OK(signer->public_key().Verify("payload", sig));
  EXPECT_FALSE(signer->public_key().Verify("payloaD", sig).ok());
}

TEST(KeySignerTest, DsseEnvelopeCarriesTheSshFingerprintAndVerifies) {
  ASSERT_OK_AND_ASSIGN(crypto::PrivateKey key,
                       crypto::PrivateKey::ParsePem(testing::ReadFixture("chains/keys/x509.pem")));
  ASSERT_OK_AND_ASSIGN(auto signer, KeySigner::New(key, "x509.pem"));
  ASSERT_OK_AND_ASSIGN(std::string fingerprint, crypto::SshFingerprint(key.public_key()));
  EXPECT_EQ(signer->keyid(), fingerprint);

  ASSERT_OK_AND_ASSIGN(std::string envelope,
                       signer->SignDsse(crypto::kInTotoPayloadType, R"({"_type":"x"})"));
  ASSERT_OK_AND_ASSIGN(crypto::DsseEnvelope parsed, crypto::DsseEnvelope::Parse(envelope));
  ASSERT_EQ(parsed.signatures.size(), 1u);
  EXPECT_EQ(parsed.signatures[0].keyid, fingerprint);
  EXPECT_EQ(parsed.payload, R"({"_type":"x"})");
  std::vector<crypto::PublicKey> keys = {signer->public_key()};
  EXPECT_OK(crypto::VerifyDsseEnvelope(parsed, keys).status());
}

TEST(KeySignerTest, DescribeNamesTypeFingerprintAndOriginOnly) {
  ASSERT_OK_AND_ASSIGN(crypto::PrivateKey key,
                       crypto::PrivateKey::ParsePem(testing::ReadFixture("chains/keys/x509.pem")));
  ASSERT_OK_AND_ASSIGN(auto signer, KeySigner::New(key, "x509.pem"));
  std::string d = signer->Describe();
  EXPECT_THAT(d, HasSubstr("ecdsa-p256"));
  EXPECT_THAT(d, HasSubstr(signer->keyid()));
  EXPECT_THAT(d, HasSubstr("x509.pem"));
  EXPECT_THAT(d, ::testing::Not(HasSubstr("PRIVATE")));
}

}  // namespace
}  // namespace hallmark::signer
