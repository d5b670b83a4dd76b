#include "crypto/private_key.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "crypto/cosign_key.h"
#include "crypto/internal/pem.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sodium.h"

namespace hallmark::crypto {
namespace {

using ::hallmark::testing::ReadFixture;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;

const KeyType kAllTypes[] = {KeyType::kEcdsaP256, KeyType::kEcdsaP384, KeyType::kEcdsaP521,
                             KeyType::kRsa2048,   KeyType::kRsa3072,   KeyType::kRsa4096,
                             KeyType::kEd25519};

std::string PrivatePem(const PrivateKey& key) {
  absl::StatusOr<SecretData> der = key.InsecurePkcs8Der();
  EXPECT_TRUE(der.ok());
  return internal::EncodePem("PRIVATE KEY", der->InsecureView());
}

struct OpensslFiles {
  std::string dir, data, sig, pub;
};

OpensslFiles WriteForOpenssl(const PrivateKey& key, absl::string_view data, absl::string_view sig) {
  OpensslFiles f;
  f.dir = testing::TempDir();
  f.data = absl::StrCat(f.dir, "/data");
  f.sig = absl::StrCat(f.dir, "/sig");
  f.pub = absl::StrCat(f.dir, "/pub.pem");
  testing::WriteFileOrDie(f.data, data);
  testing::WriteFileOrDie(f.sig, sig);
  testing::WriteFileOrDie(f.pub, key.public_key().Pem());
  return f;
}

// The openssl CLI's verdict on `sig` over `data`: ECDSA/RSA with `openssl dgst -<hash>`,
// Ed25519 (pure) with `openssl pkeyutl -rawin`.
testing::CommandResult OpensslVerify(const PrivateKey& key, absl::string_view data,
                                     absl::string_view sig, absl::string_view hash = "sha256") {
  OpensslFiles f = WriteForOpenssl(key, data, sig);
  std::vector<std::string> argv;
  if (key.type() == KeyType::kEd25519) {
    argv = {"openssl", "pkeyutl", "-verify", "-pubin",   "-inkey", f.pub,
            "-rawin",  "-in",     f.data,    "-sigfile", f.sig};
  } else {
    argv = {"openssl", "dgst", absl::StrCat("-", hash), "-verify", f.pub, "-signature",
            f.sig,     f.data};
  }
  absl::StatusOr<testing::CommandResult> r = testing::RunCommand(argv);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : testing::CommandResult{};
}

class KeyTypeTest : public ::testing::TestWithParam<KeyType> {};

TEST_P(KeyTypeTest, OpensslVerifiesOurSignatures) {
  ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::Generate(GetParam()));
  EXPECT_EQ(key.type(), GetParam());
  const std::string data = "{\"critical\":{}}\n\x00\xff binary too";
  ASSERT_OK_AND_ASSIGN(std::string sig, key.Sign(data));
  testing::CommandResult ok = OpensslVerify(key, data, sig);
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  // "Verified OK" (dgst) or "Signature Verified Successfully" (pkeyutl).
  EXPECT_THAT(ok.out, HasSubstr("Verified"));
  testing::CommandResult tampered = OpensslVerify(key, data + "!", sig);
  EXPECT_NE(tampered.exit_code, 0);
  EXPECT_OK(key.public_key().Verify(data, sig));
  EXPECT_THAT(key.public_key().Verify(data + "!", sig),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(KeyTypeTest, WeVerifyOpensslSignatures) {
  const std::string dir = testing::TempDir();
  const std::string key_pem = absl::StrCat(dir, "/key.pem");
  std::vector<std::string> gen = {"openssl", "genpkey", "-out", key_pem};
  switch (GetParam()) {
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384:
    case KeyType::kEcdsaP521: {
      const char* curve = GetParam() == KeyType::kEcdsaP256   ? "P-256"
                          : GetParam() == KeyType::kEcdsaP384 ? "P-384"
                                                              : "P-521";
      gen.insert(gen.end(),
                 {"-algorithm", "EC", "-pkeyopt", absl::StrCat("ec_paramgen_curve:", curve)});
      break;
    }
    case KeyType::kRsa2048:
    case KeyType::kRsa3072:
    case KeyType::kRsa4096: {
      const char* bits = GetParam() == KeyType::kRsa2048   ? "2048"
                         : GetParam() == KeyType::kRsa3072 ? "3072"
                                                           : "4096";
      gen.insert(gen.end(),
                 {"-algorithm", "RSA", "-pkeyopt", absl::StrCat("rsa_keygen_bits:", bits)});
      break;
    }
    case KeyType::kEd25519:
      gen.insert(gen.end(), {"-algorithm", "ED25519"});
      break;
  }
  ASSERT_OK_AND_ASSIGN(testing::CommandResult g, testing::RunCommand(gen));
  ASSERT_EQ(g.exit_code, 0) << g.err;
  const std::string data_path = absl::StrCat(dir, "/data");
  const std::string sig_path = absl::StrCat(dir, "/sig");
  testing::WriteFileOrDie(data_path, "hello from openssl");
  std::vector<std::string> sign =
      GetParam() == KeyType::kEd25519
          ? std::vector<std::string>{"openssl", "pkeyutl", "-sign",   "-inkey", key_pem,
                                     "-rawin",  "-in",     data_path, "-out",   sig_path}
          : std::vector<std::string>{"openssl", "dgst", "-sha256", "-sign",
                                     key_pem,   "-out", sig_path,  data_path};
  ASSERT_OK_AND_ASSIGN(testing::CommandResult s, testing::RunCommand(sign));
  ASSERT_EQ(s.exit_code, 0) << s.err;

  ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::ParsePem(testing::ReadFileOrDie(key_pem)));
  EXPECT_EQ(key.type(), GetParam());
  const std::string sig = testing::ReadFileOrDie(sig_path);
  EXPECT_OK(key.public_key().Verify("hello from openssl", sig));
  EXPECT_THAT(key.public_key().Verify("hello from openssl.", sig),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(KeyTypeTest, Pkcs8RoundTrip) {
  ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::Generate(GetParam()));
  ASSERT_OK_AND_ASSIGN(SecretData der, key.InsecurePkcs8Der());
  ASSERT_OK_AND_ASSIGN(PrivateKey back, PrivateKey::ParsePkcs8Der(der));
  EXPECT_EQ(back.public_key(), key.public_key());
  ASSERT_OK_AND_ASSIGN(PrivateKey from_pem, PrivateKey::ParsePem(PrivatePem(key)));
  EXPECT_EQ(from_pem.public_key(), key.public_key());
}

INSTANTIATE_TEST_SUITE_P(AllTypes, KeyTypeTest, ::testing::ValuesIn(kAllTypes),
                         [](const auto& info) {
                           std::string name(KeyTypeName(info.param));
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

TEST(PrivateKeyTest, HashOverrideIsWhatOpensslSees) {
  ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::Generate(KeyType::kEcdsaP384));
  ASSERT_OK_AND_ASSIGN(std::string sig384, key.Sign("data", HashAlgorithm::kSha384));
  EXPECT_EQ(OpensslVerify(key, "data", sig384, "sha384").exit_code, 0);
  EXPECT_NE(OpensslVerify(key, "data", sig384, "sha256").exit_code, 0);
  EXPECT_OK(key.public_key().Verify("data", sig384, HashAlgorithm::kSha384));
  EXPECT_FALSE(key.public_key().Verify("data", sig384).ok());  // default SHA-256
  ASSERT_OK_AND_ASSIGN(std::string sig256, key.Sign("data"));
  EXPECT_EQ(OpensslVerify(key, "data", sig256, "sha256").exit_code, 0);
}

TEST(PrivateKeyTest, RsaSignaturesArePkcs1v15) {
  ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::Generate(KeyType::kRsa2048));
  ASSERT_OK_AND_ASSIGN(std::string sig, key.Sign("data"));
  EXPECT_EQ(sig.size(), 256u);
  // PKCS#1 v1.5 is deterministic: same input, same signature (PSS would differ).
  ASSERT_OK_AND_ASSIGN(std::string again, key.Sign("data"));
  EXPECT_EQ(sig, again);
}

// Ed25519 decision (crypto/key_type.h): pure Ed25519, as every verifier in
// reference/cosign-kyverno.md §1.6 expects. Evidence 1: the fixture key local-ed25519 signs and
// `openssl pkeyutl -rawin` (pure Ed25519) accepts the signature.
TEST(Ed25519Test, FixtureKeySignsPureEd25519ThatOpensslAccepts) {
  ASSERT_OK_AND_ASSIGN(PrivateKey key, LoadCosignKey(ReadFixture("cosign/keys/local-ed25519.key"),
                                                     SecretData("ed25519-pass")));
  ASSERT_EQ(key.type(), KeyType::kEd25519);
  ASSERT_OK_AND_ASSIGN(std::string sig, key.Sign("cosign payload", HashAlgorithm::kSha512));
  EXPECT_EQ(sig.size(), 64u);
  testing::CommandResult r = OpensslVerify(key, "cosign payload", sig);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("Signature Verified Successfully"));
  // Pure Ed25519 is deterministic, and the hash option does not change it.
  ASSERT_OK_AND_ASSIGN(std::string again, key.Sign("cosign payload"));
  EXPECT_EQ(sig, again);
}

PublicKey Ed25519FromRaw(absl::string_view hex) {
  std::string der = *HexDecode(absl::StrCat("302a300506032b6570032100", hex));
  absl::StatusOr<PublicKey> key = PublicKey::ParseDer(der);
  EXPECT_TRUE(key.ok()) << key.status();
  return *key;
}

// Evidence 2: pure and prehashed signatures are not interchangeable. RFC 8032 §7.1 TEST 1 (pure)
// verifies; the §7.3 Ed25519ph vector, which libsodium confirms is a valid Ed25519ph signature,
// does not verify as pure Ed25519 — so signing ph would be rejected by cosign verify,
// containers/image and Kyverno.
TEST(Ed25519Test, PureVerifiesAndPrehashedDoesNot) {
  PublicKey pure_key =
      Ed25519FromRaw("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  std::string pure_sig = *HexDecode(
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701c"
      "f9b46bd25bf5f0595bbe24655141438e7a100b");
  EXPECT_OK(pure_key.Verify("", pure_sig));

  const std::string ph_pub_hex = "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf";
  std::string ph_pub = *HexDecode(ph_pub_hex);
  std::string ph_sig = *HexDecode(
      "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae4131f85042463c2a355a2003d062"
      "adf5aaa10b8c61e636062aaad11c2a26083406");
  ASSERT_GE(sodium_init(), 0);
  crypto_sign_ed25519ph_state state;
  crypto_sign_ed25519ph_init(&state);
  crypto_sign_ed25519ph_update(&state, reinterpret_cast<const unsigned char*>("abc"), 3);
  ASSERT_EQ(crypto_sign_ed25519ph_final_verify(
                &state, reinterpret_cast<const unsigned char*>(ph_sig.data()),
                reinterpret_cast<const unsigned char*>(ph_pub.data())),
            0);
  EXPECT_THAT(Ed25519FromRaw(ph_pub_hex).Verify("abc", ph_sig),
              StatusIs(absl::StatusCode::kInvalidArgument, "failed to verify signature"));
}

TEST(PrivateKeyTest, ChainsX509PemLoads) {
  ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::ParsePem(ReadFixture("chains/keys/x509.pem")));
  EXPECT_EQ(key.type(), KeyType::kEcdsaP256);
  ASSERT_OK_AND_ASSIGN(std::string sig, key.Sign("x"));
  EXPECT_EQ(OpensslVerify(key, "x", sig).exit_code, 0);
}

TEST(PrivateKeyTest, ImportFormats) {
  const std::string dir = testing::TempDir();
  // SEC1 and PKCS#1 as the openssl CLI writes them ("traditional" format).
  const std::string ec = absl::StrCat(dir, "/ec.pem");
  ASSERT_OK_AND_ASSIGN(testing::CommandResult r,
                       testing::RunCommand({"openssl", "ecparam", "-name", "secp521r1", "-genkey",
                                            "-noout", "-out", ec}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string sec1 = testing::ReadFileOrDie(ec);
  ASSERT_THAT(sec1, HasSubstr("BEGIN EC PRIVATE KEY"));
  ASSERT_OK_AND_ASSIGN(PrivateKey ec_key, PrivateKey::ParsePem(sec1));
  EXPECT_EQ(ec_key.type(), KeyType::kEcdsaP521);

  const std::string rsa = absl::StrCat(dir, "/rsa.pem");
  ASSERT_OK_AND_ASSIGN(
      r, testing::RunCommand({"openssl", "genrsa", "-traditional", "-out", rsa, "3072"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string pkcs1 = testing::ReadFileOrDie(rsa);
  ASSERT_THAT(pkcs1, HasSubstr("BEGIN RSA PRIVATE KEY"));
  ASSERT_OK_AND_ASSIGN(PrivateKey rsa_key, PrivateKey::ParsePem(pkcs1));
  EXPECT_EQ(rsa_key.type(), KeyType::kRsa3072);
  ASSERT_OK_AND_ASSIGN(std::string sig, rsa_key.Sign("m"));
  EXPECT_EQ(OpensslVerify(rsa_key, "m", sig).exit_code, 0);
}

TEST(PrivateKeyTest, ImportErrorsUseCosignWording) {
  const std::string dir = testing::TempDir();
  auto openssl_pem = [&](std::vector<std::string> argv) {
    const std::string out = absl::StrCat(dir, "/k.pem");
    argv.insert(argv.begin() + 2, {"-out", out});  // genrsa wants numbits last
    absl::StatusOr<testing::CommandResult> r = testing::RunCommand(argv);
    EXPECT_TRUE(r.ok() && r->exit_code == 0) << (r.ok() ? r->err : r.status().ToString());
    return testing::ReadFileOrDie(out);
  };
  EXPECT_THAT(PrivateKey::ParsePem("nothing"),
              StatusIs(absl::StatusCode::kInvalidArgument, "invalid pem block"));
  EXPECT_THAT(PrivateKey::ParsePem(ReadFixture("cosign/keys/chains-p256.key")),
              StatusIs(absl::StatusCode::kInvalidArgument, "unsupported private key"));
  EXPECT_THAT(PrivateKey::ParsePem(ReadFixture("cosign/keys/chains-p256.pub")),
              StatusIs(absl::StatusCode::kInvalidArgument, "unsupported private key"));
  EXPECT_THAT(PrivateKey::ParsePem(openssl_pem({"openssl", "genrsa", "-traditional", "1024"})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("error validating rsa key: unsupported rsa key size 1024")));
  EXPECT_THAT(PrivateKey::ParsePem(openssl_pem(
                  {"openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2560"})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("error validating rsa key: unsupported rsa key size 2560")));
  EXPECT_THAT(PrivateKey::ParsePem(
                  openssl_pem({"openssl", "ecparam", "-name", "secp256k1", "-genkey", "-noout"})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("error validating ecdsa key: unsupported ec curve secp256k1")));
  EXPECT_THAT(PrivateKey::ParsePem(openssl_pem({"openssl", "genpkey", "-algorithm", "X25519"})),
              StatusIs(absl::StatusCode::kInvalidArgument, "unexpected private key"));
  EXPECT_THAT(
      PrivateKey::ParsePem("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, "error parsing ecdsa private key"));
  EXPECT_THAT(
      PrivateKey::ParsePem(
          "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("error parsing rsa private key")));
  EXPECT_THAT(
      PrivateKey::ParsePem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, "error parsing pkcs #8 private key"));
  // A PKCS#8 body under the SEC1 label is refused, as Go refuses it.
  std::string pkcs8 = ReadFixture("chains/keys/x509.pem");
  std::string relabelled = pkcs8;
  for (absl::string_view from : {"BEGIN PRIVATE KEY", "END PRIVATE KEY"}) {
    size_t at = relabelled.find(std::string(from));
    ASSERT_NE(at, std::string::npos);
    relabelled.replace(at, from.size(),
                       from[0] == 'B' ? "BEGIN EC PRIVATE KEY" : "END EC PRIVATE KEY");
  }
  EXPECT_THAT(PrivateKey::ParsePem(relabelled),
              StatusIs(absl::StatusCode::kInvalidArgument, "error parsing ecdsa private key"));
}

// Found by fuzzing: Chains' x509.pem with one bit of the private scalar flipped still parses in
// OpenSSL, but its embedded public key no longer matches, so every signature would fail to
// verify against the public key we publish. Refused at load.
TEST(PrivateKeyTest, InconsistentKeyPairIsRefused) {
  constexpr char kMismatched[] =
      "-----BEGIN PRIVATE KEY-----\n"
      "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg6Mujzzgrmpi57HrH\n"
      "wuyL8tKYdLpoPjJbdxSTGj8sXaahRANCAATA/CsC4pV4NglkAFQtYFcRbx7ZwVDM\n"
      "mKTqqjkAKDnBQR/CrN7cOGObMvpdLEkVjJ8dL2DUUDfTl20kTrm/zgkl\n"
      "-----END PRIVATE KEY-----\n";
  EXPECT_THAT(
      PrivateKey::ParsePem(kMismatched),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "error validating ecdsa key: the private key does not match its public key"));
  ASSERT_OK(PrivateKey::ParsePem(ReadFixture("chains/keys/x509.pem")).status());
}

TEST(PrivateKeyTest, SignsConcurrently) {
  ASSERT_OK_AND_ASSIGN(PrivateKey key,
                       LoadCosignKey(ReadFixture("cosign/keys/chains-p256.key"), SecretData("p")));
  std::vector<std::thread> threads;
  std::vector<int> failures(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&key, &failures, t] {
      PrivateKey copy = key;  // copies share the OpenSSL key
      for (int i = 0; i < 200; ++i) {
        std::string data = absl::StrCat("thread ", t, " message ", i);
        absl::StatusOr<std::string> sig = (i % 2 ? copy : key).Sign(data);
        if (!sig.ok() || !key.public_key().Verify(data, *sig).ok()) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace hallmark::crypto
