#include "crypto/key_id.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "crypto/private_key.h"
#include "gtest/gtest.h"

namespace hallmark::crypto {
namespace {

using ::hallmark::testing::ReadFixture;

// sigstore-go's v0.1 bundle names its key by the SSH fingerprint (the form Chains uses).
TEST(KeyIdTest, SshFingerprintMatchesTheBundleFixture) {
  ASSERT_OK_AND_ASSIGN(
      PublicKey key,
      PublicKey::ParsePem(ReadFixture("cosign/bundles/sigstore-go-publish_key.pub")));
  EXPECT_THAT(
      SshFingerprint(key),
      testing::IsOkAndHolds(std::string("SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA")));
}

// cosign's bundle hint: base64(SHA-256(PKIX DER)), checked on sigstore-go's v0.3 fixture.
TEST(KeyIdTest, PublicKeyHintMatchesTheBundleFixture) {
  ASSERT_OK_AND_ASSIGN(
      PublicKey key,
      PublicKey::ParsePem(ReadFixture("cosign/bundles/sigstore-go-public-key-validity.pub.pem")));
  std::string bundle =
      ReadFixture("cosign/bundles/sigstore-go-public-key-validity.v0.3.sigstore.json");
  EXPECT_EQ(PublicKeyHint(key), "IpekKjxVkmTfB4YqY8q5sGEAeVtF9x3m7jHdhAxpgjQ=");
  EXPECT_NE(bundle.find(absl::StrCat("\"", PublicKeyHint(key), "\"")), std::string::npos)
      << PublicKeyHint(key);
}

// Independent implementations: Python's `cryptography` converts our PKIX key to an OpenSSH
// public key line and ssh-keygen fingerprints it, for every key type.
TEST(KeyIdTest, SshFingerprintMatchesSshKeygen) {
  for (KeyType type : {KeyType::kEcdsaP256, KeyType::kEcdsaP384, KeyType::kEcdsaP521,
                       KeyType::kRsa2048, KeyType::kRsa4096, KeyType::kEd25519}) {
    SCOPED_TRACE(KeyTypeName(type));
    ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::Generate(type));
    const std::string dir = testing::TempDir();
    const std::string pem = absl::StrCat(dir, "/pub.pem");
    const std::string ssh_pub = absl::StrCat(dir, "/key.pub");
    testing::WriteFileOrDie(pem, key.public_key().Pem());
    ASSERT_OK_AND_ASSIGN(
        testing::CommandResult conv,
        testing::RunCommand({"/usr/bin/python3", "-c",
                             "import sys\n"
                             "from cryptography.hazmat.primitives import serialization as s\n"
                             "k = s.load_pem_public_key(open(sys.argv[1], 'rb').read())\n"
                             "open(sys.argv[2], 'wb').write(k.public_bytes(s.Encoding.OpenSSH, "
                             "s.PublicFormat.OpenSSH) + b'\\n')\n",
                             pem, ssh_pub}));
    ASSERT_EQ(conv.exit_code, 0) << conv.err;
    ASSERT_OK_AND_ASSIGN(testing::CommandResult fp,
                         testing::RunCommand({"ssh-keygen", "-l", "-E", "sha256", "-f", ssh_pub}));
    ASSERT_EQ(fp.exit_code, 0) << fp.err;
    ASSERT_OK_AND_ASSIGN(std::string ours, SshFingerprint(key.public_key()));
    EXPECT_NE(fp.out.find(ours + " "), std::string::npos) << fp.out << " vs " << ours;
  }
}

}  // namespace
}  // namespace hallmark::crypto
