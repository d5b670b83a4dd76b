#include "crypto/cosign_key.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/encoding.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "crypto/public_key.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::crypto {
namespace {

using ::hallmark::testing::FixturePath;
using ::hallmark::testing::IsOk;
using ::hallmark::testing::ReadFixture;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;

struct FixtureKey {
  const char* name;  // under cosign/keys/
  const char* password;
  KeyType type;
};

const FixtureKey kFixtureKeys[] = {
    {"sigstore-label-p256", "hello", KeyType::kEcdsaP256},
    {"cosign-label-p256", "hello", KeyType::kEcdsaP256},
    {"chains-p256", "p", KeyType::kEcdsaP256},
    {"tekton-p256", "1234", KeyType::kEcdsaP256},
    {"conforma-emptypw-p256", "", KeyType::kEcdsaP256},
    {"local-ed25519", "ed25519-pass", KeyType::kEd25519},
    {"local-rsa2048", "rsa-pass", KeyType::kRsa2048},
    {"local-p384", "p384-pass", KeyType::kEcdsaP384},
};

class FixtureKeyTest : public ::testing::TestWithParam<FixtureKey> {};

TEST_P(FixtureKeyTest, LoadsAndYieldsTheListedPublicKey) {
  const FixtureKey& f = GetParam();
  std::string pem = ReadFixture(absl::StrCat("cosign/keys/", f.name, ".key"));
  ASSERT_OK_AND_ASSIGN(PrivateKey key, LoadCosignKey(pem, SecretData(f.password)));
  EXPECT_EQ(key.type(), f.type);
  ASSERT_OK_AND_ASSIGN(
      PublicKey want,
      PublicKey::ParsePem(ReadFixture(absl::StrCat("cosign/keys/", f.name, ".pub"))));
  EXPECT_EQ(key.public_key().der(), want.der());
  // The decrypted PKCS#8 re-encodes to exactly the bytes Go wrote.
  ASSERT_OK_AND_ASSIGN(SecretData pkcs8, key.InsecurePkcs8Der());
  EXPECT_TRUE(pkcs8.InsecureView() ==
              ReadFixture(absl::StrCat("cosign/keys/", f.name, ".plaintext.der")));
  // And it signs something its public key accepts.
  ASSERT_OK_AND_ASSIGN(std::string sig, key.Sign("payload"));
  EXPECT_OK(want.Verify("payload", sig));
}

TEST_P(FixtureKeyTest, WrongPasswordFailsWithoutDetail) {
  const FixtureKey& f = GetParam();
  std::string pem = ReadFixture(absl::StrCat("cosign/keys/", f.name, ".key"));
  EXPECT_THAT(
      LoadCosignKey(pem, SecretData(absl::StrCat(f.password, "x"))),
      StatusIs(absl::StatusCode::kInvalidArgument, "decrypt: encrypted: decryption failed"));
}

INSTANTIATE_TEST_SUITE_P(CosignFixtures, FixtureKeyTest, ::testing::ValuesIn(kFixtureKeys),
                         [](const auto& info) {
                           std::string name = info.param.name;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

TEST(LoadCosignKeyTest, Sec1PlaintextIsRefusedLikeCosign) {
  EXPECT_THAT(
      LoadCosignKey(ReadFixture("cosign/keys/cosign-label-sec1-NEGATIVE.key"), SecretData("hello")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "parsing private key: x509: failed to parse private key (use ParseECPrivateKey "
               "instead for this key format)"));
}

TEST(LoadCosignKeyTest, TamperedCiphertextFails) {
  EXPECT_THAT(
      LoadCosignKey(ReadFixture("cosign/keys/NEGATIVE-tampered-ciphertext.key"), SecretData("p")),
      StatusIs(absl::StatusCode::kInvalidArgument, "decrypt: encrypted: decryption failed"));
}

TEST(LoadCosignKeyTest, UnsupportedScryptParametersAreRefused) {
  EXPECT_THAT(
      LoadCosignKey(ReadFixture("cosign/keys/NEGATIVE-scrypt-N16384.key"), SecretData("p")),
      StatusIs(absl::StatusCode::kInvalidArgument, "decrypt: unsupported scrypt parameters"));
}

std::string KeyFileWithJson(absl::string_view label, absl::string_view json) {
  std::string b64 = Base64Encode(json);
  return absl::StrCat("-----BEGIN ", label, "-----\n", b64, "\n-----END ", label, "-----\n");
}

// A valid chains key file with its JSON edited by `edit`.
std::string EditedChainsKey(absl::string_view from, absl::string_view to) {
  std::string pem = ReadFixture("cosign/keys/chains-p256.key");
  std::vector<std::string> lines = absl::StrSplit(pem, '\n', absl::SkipEmpty());
  std::string body;
  for (size_t i = 1; i + 1 < lines.size(); ++i) body += lines[i];
  std::string json = *Base64Decode(body);
  size_t at = json.find(std::string(from));
  EXPECT_NE(at, std::string::npos) << from;
  json.replace(at, from.size(), std::string(to));
  return KeyFileWithJson(kCosignPrivateKeyPemType, json);
}

TEST(LoadCosignKeyTest, ParametersAreCheckedBeforeScryptRuns) {
  // N = 2^40 would need 128 TiB if scrypt ran; the check must come first.
  EXPECT_THAT(
      LoadCosignKey(EditedChainsKey(R"("N":32768)", R"("N":1099511627776)"), SecretData("p")),
      StatusIs(absl::StatusCode::kInvalidArgument, "decrypt: unsupported scrypt parameters"));
  EXPECT_THAT(
      LoadCosignKey(EditedChainsKey(R"("r":8)", R"("r":9)"), SecretData("p")),
      StatusIs(absl::StatusCode::kInvalidArgument, "decrypt: unsupported scrypt parameters"));
  EXPECT_THAT(
      LoadCosignKey(EditedChainsKey(R"("p":1)", R"("p":-1)"), SecretData("p")),
      StatusIs(absl::StatusCode::kInvalidArgument, "decrypt: unsupported scrypt parameters"));
}

TEST(LoadCosignKeyTest, KdfAndCipherNamesAreChecked) {
  EXPECT_THAT(
      LoadCosignKey(EditedChainsKey(R"("name":"scrypt")", R"("name":"argon2")"), SecretData("p")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               R"(decrypt: encrypted: unknown kdf name "argon2")"));
  EXPECT_THAT(LoadCosignKey(EditedChainsKey(R"("name":"nacl/secretbox")", R"("name":"aes-gcm")"),
                            SecretData("p")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       R"(decrypt: encrypted: unknown cipher name "aes-gcm")"));
}

TEST(LoadCosignKeyTest, NonceSizeIsChecked) {
  EXPECT_THAT(
      LoadCosignKey(
          EditedChainsKey(R"("nonce":"bf+GsFUUquX371a3XMrQAwDOFhJW6fGV")", R"("nonce":"AAAA")"),
          SecretData("p")),
      StatusIs(absl::StatusCode::kInvalidArgument, "decrypt: encrypted: incorrect nonce size"));
}

TEST(LoadCosignKeyTest, MalformedFilesFailClearly) {
  EXPECT_THAT(LoadCosignKey("not a pem", SecretData("p")),
              StatusIs(absl::StatusCode::kInvalidArgument, "invalid pem block"));
  EXPECT_THAT(LoadCosignKey(ReadFixture("cosign/keys/chains-p256.pub"), SecretData("p")),
              StatusIs(absl::StatusCode::kInvalidArgument, "unsupported pem type: PUBLIC KEY"));
  EXPECT_THAT(LoadCosignKey(KeyFileWithJson(kSigstorePrivateKeyPemType, "[1,2]"), SecretData("")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("malformed encrypted key")));
  EXPECT_THAT(LoadCosignKey(
                  KeyFileWithJson(kSigstorePrivateKeyPemType, R"({"kdf":{"name":7},"cipher":{}})"),
                  SecretData("")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("kdf.name")));
  EXPECT_THAT(LoadCosignKey(EditedChainsKey(R"("salt":")", R"("salt":"!)"), SecretData("p")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("kdf.salt")));
  EXPECT_THAT(LoadCosignKey(std::string(kMaxCosignKeyFileBytes + 1, 'A'), SecretData("p")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("too large")));
}

TEST(LoadCosignKeyTest, ChainsSigningSecretLoads) {
  std::string password = ReadFixture("chains/keys/cosign.password");
  ASSERT_EQ(password, "p");
  ASSERT_OK_AND_ASSIGN(PrivateKey key,
                       LoadCosignKey(ReadFixture("chains/keys/cosign.key"), SecretData(password)));
  ASSERT_OK_AND_ASSIGN(PublicKey pub, PublicKey::ParsePem(ReadFixture("chains/keys/cosign.pub")));
  EXPECT_EQ(key.public_key(), pub);
}

TEST(LoadCosignKeyTest, ErrorsNeverContainThePassword) {
  const std::string password = "s3cret-Pa55word";
  for (const char* file : {"chains-p256.key", "NEGATIVE-tampered-ciphertext.key",
                           "cosign-label-sec1-NEGATIVE.key", "NEGATIVE-scrypt-N16384.key"}) {
    absl::StatusOr<PrivateKey> key =
        LoadCosignKey(ReadFixture(absl::StrCat("cosign/keys/", file)), SecretData(password));
    ASSERT_FALSE(key.ok()) << file;
    EXPECT_FALSE(absl::StrContains(key.status().ToString(), password)) << file;
  }
}

TEST(IsCosignKeyPemTest, RecognisesBothLabels) {
  EXPECT_TRUE(IsCosignKeyPem(ReadFixture("cosign/keys/chains-p256.key")));
  EXPECT_TRUE(IsCosignKeyPem(ReadFixture("cosign/keys/conforma-emptypw-p256.key")));
  EXPECT_FALSE(IsCosignKeyPem(ReadFixture("chains/keys/x509.pem")));
  EXPECT_FALSE(IsCosignKeyPem("garbage"));
}

// --- Writing ---

// Splits a cosign key file into its label and decoded JSON body, checking Go's PEM layout.
void CheckPemLayout(const std::string& pem, absl::string_view want_label, std::string* json) {
  std::vector<std::string> lines = absl::StrSplit(pem, '\n');
  ASSERT_GE(lines.size(), 4u);
  EXPECT_EQ(lines.front(), absl::StrCat("-----BEGIN ", want_label, "-----"));
  EXPECT_EQ(lines[lines.size() - 2], absl::StrCat("-----END ", want_label, "-----"));
  EXPECT_EQ(lines.back(), "");  // final newline
  std::string body;
  for (size_t i = 1; i + 2 < lines.size(); ++i) {
    if (i + 3 < lines.size()) {
      EXPECT_EQ(lines[i].size(), 64u) << "line " << i;
    }
    EXPECT_LE(lines[i].size(), 64u);
    body += lines[i];
  }
  ASSERT_OK_AND_ASSIGN(*json, Base64Decode(body));
}

TEST(EncryptCosignKeyTest, CurrentFormatMatchesCosign) {
  ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::Generate(KeyType::kEcdsaP256));
  ASSERT_OK_AND_ASSIGN(std::string pem, EncryptCosignKey(key, SecretData("pw")));
  std::string json;
  CheckPemLayout(pem, "ENCRYPTED SIGSTORE PRIVATE KEY", &json);
  // Go's compact JSON, fields in struct order, 32-byte salt (44 b64 chars), 24-byte nonce (32).
  EXPECT_THAT(
      json,
      ::testing::MatchesRegex(
          R"re(\{"kdf":\{"name":"scrypt","params":\{"N":65536,"r":8,"p":1\},"salt":"[A-Za-z0-9+/]{43}="\},"cipher":\{"name":"nacl/secretbox","nonce":"[A-Za-z0-9+/]{32}"\},"ciphertext":"[A-Za-z0-9+/=]+"\})re"));
  ASSERT_OK_AND_ASSIGN(PrivateKey back, LoadCosignKey(pem, SecretData("pw")));
  EXPECT_EQ(back.public_key(), key.public_key());
}

TEST(EncryptCosignKeyTest, LegacyFormatIsTheOldestShape) {
  ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::Generate(KeyType::kEcdsaP256));
  ASSERT_OK_AND_ASSIGN(std::string pem,
                       EncryptCosignKey(key, SecretData(""), CosignKeyFormat::kLegacy));
  std::string json;
  CheckPemLayout(pem, "ENCRYPTED COSIGN PRIVATE KEY", &json);
  EXPECT_TRUE(
      absl::StartsWith(json, R"({"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},)"));
  ASSERT_OK_AND_ASSIGN(PrivateKey back, LoadCosignKey(pem, SecretData("")));
  EXPECT_EQ(back.public_key(), key.public_key());
  EXPECT_THAT(
      LoadCosignKey(pem, SecretData("x")),
      StatusIs(absl::StatusCode::kInvalidArgument, "decrypt: encrypted: decryption failed"));
}

TEST(EncryptCosignKeyTest, FreshSaltAndNonceEachTime) {
  ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::Generate(KeyType::kEd25519));
  ASSERT_OK_AND_ASSIGN(std::string a, EncryptCosignKey(key, SecretData("pw")));
  ASSERT_OK_AND_ASSIGN(std::string b, EncryptCosignKey(key, SecretData("pw")));
  EXPECT_NE(a, b);
}

// Independent implementation: Python's hashlib.scrypt + PyNaCl's SecretBox (Debian packages)
// decrypt what we wrote, and must recover exactly our PKCS#8.
constexpr char kPythonDecrypt[] = R"py(
import base64, binascii, hashlib, json, sys
import nacl.secret
path, password_hex, want_label, want_n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
lines = open(path).read().split("\n")
assert lines[0] == "-----BEGIN %s-----" % want_label, lines[0]
assert lines[-2] == "-----END %s-----" % want_label, lines[-2]
doc = json.loads(base64.b64decode("".join(lines[1:-2]), validate=True))
assert doc["kdf"]["name"] == "scrypt" and doc["cipher"]["name"] == "nacl/secretbox"
p = doc["kdf"]["params"]
assert (p["N"], p["r"], p["p"]) == (want_n, 8, 1), p
salt = base64.b64decode(doc["kdf"]["salt"], validate=True)
nonce = base64.b64decode(doc["cipher"]["nonce"], validate=True)
assert len(salt) == 32 and len(nonce) == 24
key = hashlib.scrypt(binascii.unhexlify(password_hex), salt=salt, n=p["N"], r=p["r"], p=p["p"],
                     maxmem=256 * 1024 * 1024, dklen=32)
plain = nacl.secret.SecretBox(key).decrypt(base64.b64decode(doc["ciphertext"], validate=True), nonce)
sys.stdout.write(binascii.hexlify(plain).decode())
)py";

TEST(EncryptCosignKeyTest, PythonNaclAndScryptDecryptEveryKeyTypeAndFormat) {
  const std::string dir = testing::TempDir();
  const std::string script = absl::StrCat(dir, "/decrypt.py");
  testing::WriteFileOrDie(script, kPythonDecrypt);
  // Verbatim bytes: non-ASCII, a trailing newline and a space are all part of the password.
  const std::string password = "p\xc3\xa4ss w\xc3\xb6rd\n";
  const KeyType types[] = {KeyType::kEcdsaP256, KeyType::kEcdsaP384, KeyType::kEcdsaP521,
                           KeyType::kRsa2048,   KeyType::kRsa3072,   KeyType::kRsa4096,
                           KeyType::kEd25519};
  for (KeyType type : types) {
    ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::Generate(type));
    ASSERT_OK_AND_ASSIGN(SecretData ours, key.InsecurePkcs8Der());
    for (CosignKeyFormat format : {CosignKeyFormat::kCurrent, CosignKeyFormat::kLegacy}) {
      const bool legacy = format == CosignKeyFormat::kLegacy;
      SCOPED_TRACE(absl::StrCat(KeyTypeName(type), legacy ? " legacy" : " current"));
      ASSERT_OK_AND_ASSIGN(std::string pem, EncryptCosignKey(key, SecretData(password), format));
      const std::string path =
          absl::StrCat(dir, "/", KeyTypeName(type), legacy ? "-l" : "", ".key");
      testing::WriteFileOrDie(path, pem);
      ASSERT_OK_AND_ASSIGN(
          testing::CommandResult r,
          testing::RunCommand(
              {"/usr/bin/python3", script, path, HexEncode(password),
               legacy ? "ENCRYPTED COSIGN PRIVATE KEY" : "ENCRYPTED SIGSTORE PRIVATE KEY",
               legacy ? "32768" : "65536"}));
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_EQ(r.out, HexEncode(ours.InsecureView()));
    }
  }
}

}  // namespace
}  // namespace hallmark::crypto
