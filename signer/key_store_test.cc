#include "signer/key_store.h"

#include <string>

#include "base/encoding.h"
#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "crypto/cosign_key.h"
#include "crypto/private_key.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::signer {
namespace {

using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;

SecretFiles ChainsCosignKey() {
  SecretFiles files;
  files.emplace("cosign.key", SecretData(testing::ReadFixture("chains/keys/cosign.key")));
  files.emplace("cosign.password", SecretData("p"));
  return files;
}

// X509: an x509.pem Secret for `key` (unencrypted PKCS#8 PEM).
SecretFiles X509(const crypto::PrivateKey& key) {
  absl::StatusOr<SecretData> der = key.InsecurePkcs8Der();
  EXPECT_OK(der.status());
  SecretFiles files;
  files.emplace("x509.pem",
                SecretData("-----BEGIN PRIVATE KEY-----\n" + Base64Encode(der->InsecureView()) +
                           "\n-----END PRIVATE KEY-----\n"));
  return files;
}

TEST(KeyStoreTest, NotReadYetIsUnavailable) {
  KeyStore store("Secret tekton-chains/signing-secrets");
  EXPECT_THAT(store.Current().status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("not read yet")));
  EXPECT_EQ(store.generation(), 0u);
}

TEST(KeyStoreTest, DecryptsOncePerVersion) {
  KeyStore store("Secret tekton-chains/signing-secrets");
  EXPECT_TRUE(store.Update(ChainsCosignKey()));
  EXPECT_FALSE(store.Update(ChainsCosignKey()));
  EXPECT_FALSE(store.Update(ChainsCosignKey()));
  EXPECT_EQ(store.loads(), 1u);
  EXPECT_EQ(store.generation(), 1u);
  ASSERT_OK_AND_ASSIGN(auto signer, store.Current());
  ASSERT_OK_AND_ASSIGN(auto again, store.Current());
  EXPECT_EQ(signer.get(), again.get());  // the same object: nothing was rebuilt
}

TEST(KeyStoreTest, RotationSwapsTheKeyAndOldSignersStayUsable) {
  KeyStore store("folder /etc/signing-secrets");
  ASSERT_TRUE(store.Update(ChainsCosignKey()));
  ASSERT_OK_AND_ASSIGN(auto old_signer, store.Current());
  ASSERT_OK_AND_ASSIGN(crypto::PrivateKey fresh,
                       crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256));
  EXPECT_TRUE(store.Update(X509(fresh)));
  ASSERT_OK_AND_ASSIGN(auto new_signer, store.Current());
  ASSERT_OK_AND_ASSIGN(std::string sig, new_signer->Sign("x"));
  EXPECT_OK(fresh.public_key().Verify("x", sig));
  ASSERT_OK_AND_ASSIGN(std::string old_sig, old_signer->Sign("x"));
  EXPECT_OK(old_signer->public_key().Verify("x", old_sig));
  EXPECT_FALSE(fresh.public_key().Verify("x", old_sig).ok());
  EXPECT_EQ(store.generation(), 2u);
}

TEST(KeyStoreTest, BadOrMissingKeyNeverFallsBackToThePreviousOne) {
  KeyStore store("Secret tekton-chains/signing-secrets");
  ASSERT_TRUE(store.Update(ChainsCosignKey()));
  SecretFiles bad = ChainsCosignKey();
  bad["cosign.password"] = SecretData("wrong");
  EXPECT_TRUE(store.Update(bad));
  EXPECT_THAT(store.Current().status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("Secret tekton-chains/signing-secrets: cosign.key: decrypt")));
  EXPECT_TRUE(store.Update(std::nullopt));
  EXPECT_THAT(store.Current().status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "Secret tekton-chains/signing-secrets: not found"));
  EXPECT_FALSE(store.Update(std::nullopt));  // same state: no change reported
  EXPECT_TRUE(store.Update(ChainsCosignKey()));
  EXPECT_OK(store.Current().status());
}

}  // namespace
}  // namespace hallmark::signer
