#include "crypto/public_key.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/encoding.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::crypto {
namespace {

using ::hallmark::testing::ReadFixture;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;

TEST(PublicKeyTest, ParsesEveryFixturePublicKey) {
  struct Case {
    const char* path;
    KeyType type;
  };
  const Case cases[] = {
      {"cosign/keys/chains-p256.pub", KeyType::kEcdsaP256},
      {"cosign/keys/local-p384.pub", KeyType::kEcdsaP384},
      {"cosign/keys/local-rsa2048.pub", KeyType::kRsa2048},
      {"cosign/keys/local-ed25519.pub", KeyType::kEd25519},
      {"cosign/simplesigning/cosign.pub", KeyType::kEcdsaP256},
      {"cosign/simplesigning/rekor.pub", KeyType::kEcdsaP256},
      {"cosign/dsse/spec-helloworld/pub.pem", KeyType::kEcdsaP256},
      {"chains/keys/cosign.pub", KeyType::kEcdsaP256},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path);
    std::string pem = ReadFixture(c.path);
    ASSERT_OK_AND_ASSIGN(PublicKey key, PublicKey::ParsePem(pem));
    EXPECT_EQ(key.type(), c.type);
    EXPECT_EQ(key.Pem(), pem);  // Go's layout, byte for byte
    ASSERT_OK_AND_ASSIGN(PublicKey again, PublicKey::ParseDer(key.der()));
    EXPECT_EQ(again, key);
  }
}

TEST(PublicKeyTest, Pkcs1RsaPublicKey) {
  ASSERT_OK_AND_ASSIGN(PublicKey pkix,
                       PublicKey::ParsePem(ReadFixture("cosign/keys/local-rsa2048.pub")));
  const std::string dir = testing::TempDir();
  testing::WriteFileOrDie(absl::StrCat(dir, "/pub.pem"), pkix.Pem());
  ASSERT_OK_AND_ASSIGN(testing::CommandResult r,
                       testing::RunCommand({"openssl", "rsa", "-pubin", "-in",
                                            absl::StrCat(dir, "/pub.pem"), "-RSAPublicKey_out"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_THAT(r.out, HasSubstr("BEGIN RSA PUBLIC KEY"));
  ASSERT_OK_AND_ASSIGN(PublicKey pkcs1, PublicKey::ParsePem(r.out));
  EXPECT_EQ(pkcs1, pkix);
}

TEST(PublicKeyTest, ErrorsUseCosignWording) {
  EXPECT_THAT(PublicKey::ParsePem("no pem here"),
              StatusIs(absl::StatusCode::kInvalidArgument, "PEM decoding failed"));
  EXPECT_THAT(PublicKey::ParsePem(ReadFixture("chains/keys/x509.pem")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "unknown Public key PEM file type: PRIVATE KEY. Are you passing the "
                       "correct public key?"));
  EXPECT_THAT(PublicKey::ParsePem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("malformed PKIX")));
  // Two keys where one is expected: refused, so a wrong or doctored file cannot pass.
  std::string two =
      ReadFixture("cosign/keys/chains-p256.pub") + ReadFixture("cosign/keys/tekton-p256.pub");
  EXPECT_THAT(PublicKey::ParsePem(two),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("found 2 PEM blocks")));
}

TEST(PublicKeyTest, UnsupportedKeysAreRefused) {
  const std::string dir = testing::TempDir();
  auto pub_of = [&](std::vector<std::string> genpkey) {
    const std::string key = absl::StrCat(dir, "/k.pem");
    genpkey.push_back("-out");
    genpkey.push_back(key);
    absl::StatusOr<testing::CommandResult> r = testing::RunCommand(genpkey);
    EXPECT_TRUE(r.ok() && r->exit_code == 0);
    r = testing::RunCommand({"openssl", "pkey", "-in", key, "-pubout"});
    EXPECT_TRUE(r.ok() && r->exit_code == 0);
    return r.ok() ? r->out : "";
  };
  EXPECT_THAT(PublicKey::ParsePem(pub_of(
                  {"openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unsupported rsa key size")));
  EXPECT_THAT(PublicKey::ParsePem(pub_of({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                                          "ec_paramgen_curve:secp256k1"})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unsupported ec curve")));
  EXPECT_THAT(PublicKey::ParsePem(pub_of({"openssl", "genpkey", "-algorithm", "ED448"})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unsupported key type")));
  // A compressed point (Go's x509 refuses it).
  const std::string key = absl::StrCat(dir, "/p256.pem");
  ASSERT_OK(testing::RunCommand({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                                 "ec_paramgen_curve:P-256", "-out", key})
                .status());
  ASSERT_OK_AND_ASSIGN(
      testing::CommandResult r,
      testing::RunCommand({"openssl", "ec", "-in", key, "-pubout", "-conv_form", "compressed"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(PublicKey::ParsePem(r.out),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("uncompressed")));
}

TEST(PublicKeyTest, ParsePemKeysSplitsKyvernoStyleLists) {
  std::string text = absl::StrCat("  \n", ReadFixture("cosign/keys/chains-p256.pub"), "\n",
                                  ReadFixture("cosign/keys/local-rsa2048.pub"),
                                  ReadFixture("cosign/keys/local-ed25519.pub"), "\n\n");
  ASSERT_OK_AND_ASSIGN(std::vector<PublicKey> keys, PublicKey::ParsePemKeys(text));
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[0].type(), KeyType::kEcdsaP256);
  EXPECT_EQ(keys[1].type(), KeyType::kRsa2048);
  EXPECT_EQ(keys[2].type(), KeyType::kEd25519);

  EXPECT_THAT(PublicKey::ParsePemKeys(""),
              StatusIs(absl::StatusCode::kInvalidArgument, "PEM decoding failed"));
  EXPECT_THAT(PublicKey::ParsePemKeys(text + ReadFixture("chains/keys/x509.pem")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("public key 4 of 4: unknown Public key PEM file type")));
  std::string many;
  for (size_t i = 0; i <= PublicKey::kMaxKeysPerText; ++i) {
    many += ReadFixture("cosign/keys/chains-p256.pub");
  }
  EXPECT_THAT(PublicKey::ParsePemKeys(many),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("too many PEM blocks")));
}

TEST(PublicKeyTest, KeyFromCertificate) {
  const std::string dir = "cosign/simplesigning/pki-cert-chain/";
  ASSERT_OK_AND_ASSIGN(PublicKey key, PublicKey::FromCertificatePem(
                                          ReadFixture(absl::StrCat(dir, "certificate.pem"))));
  // The pki-cert-chain signature verifies with the certificate's key.
  ASSERT_OK_AND_ASSIGN(std::string sig,
                       Base64Decode(absl::StrReplaceAll(
                           ReadFixture(absl::StrCat(dir, "signature.b64")), {{"\n", ""}})));
  EXPECT_OK(key.Verify(ReadFixture(absl::StrCat(dir, "payload.json")), sig));
  // Same key as openssl extracts.
  ASSERT_OK_AND_ASSIGN(
      testing::CommandResult r,
      testing::RunCommand({"openssl", "x509", "-in",
                           testing::FixturePath(absl::StrCat(dir, "certificate.pem")), "-pubkey",
                           "-noout"}));
  ASSERT_EQ(r.exit_code, 0);
  ASSERT_OK_AND_ASSIGN(PublicKey want, PublicKey::ParsePem(r.out));
  EXPECT_EQ(key, want);

  ASSERT_OK_AND_ASSIGN(PublicKey fulcio, PublicKey::FromCertificatePem(ReadFixture(
                                             "cosign/simplesigning/fulcio-cert-with-rekor-bundle/"
                                             "certificate.pem")));
  EXPECT_EQ(fulcio.type(), KeyType::kEcdsaP256);

  EXPECT_THAT(PublicKey::FromCertificatePem(ReadFixture("cosign/keys/chains-p256.pub")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected a CERTIFICATE")));
  EXPECT_THAT(PublicKey::FromCertificatePem(
                  "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, "malformed X.509 certificate"));
}

TEST(PublicKeyTest, RawEcdsaSignaturesAreRefused) {
  // The DSSE spec vector: sig.der verifies, the same signature as raw r||s does not (Go's
  // VerifyASN1, and so cosign, only take DER).
  const std::string dir = "cosign/dsse/spec-helloworld/";
  ASSERT_OK_AND_ASSIGN(PublicKey key,
                       PublicKey::ParsePem(ReadFixture(absl::StrCat(dir, "pub.pem"))));
  const std::string pae = ReadFixture(absl::StrCat(dir, "pae.bin"));
  EXPECT_OK(key.Verify(pae, ReadFixture(absl::StrCat(dir, "sig.der"))));
  ASSERT_OK_AND_ASSIGN(std::string raw,
                       Base64Decode("A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiH"
                                    "qJPcIAriEGAHTVeCUjW2JIZA=="));
  ASSERT_EQ(raw.size(), 64u);
  EXPECT_THAT(key.Verify(pae, raw),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "invalid signature when validating ASN.1 encoded signature"));
}

TEST(PublicKeyTest, VerifyRejectsJunk) {
  ASSERT_OK_AND_ASSIGN(PublicKey key,
                       PublicKey::ParsePem(ReadFixture("cosign/simplesigning/cosign.pub")));
  const std::string payload = ReadFixture("cosign/simplesigning/valid/payload.json");
  const std::string sig = ReadFixture("cosign/simplesigning/valid/signature.der");
  EXPECT_OK(key.Verify(payload, sig));
  EXPECT_FALSE(key.Verify(payload, "").ok());
  EXPECT_FALSE(key.Verify(payload, sig + "x").ok());  // trailing byte: not DER any more
  std::string flipped = sig;
  flipped[10] ^= 1;
  EXPECT_FALSE(key.Verify(payload, flipped).ok());
  EXPECT_FALSE(key.Verify(payload, sig, HashAlgorithm::kSha512).ok());
}

}  // namespace
}  // namespace hallmark::crypto
