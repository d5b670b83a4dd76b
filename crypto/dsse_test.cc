#include "crypto/dsse.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "crypto/cosign_key.h"
#include "crypto/key_id.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace hallmark::crypto {
namespace {

using ::hallmark::testing::ReadFixture;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kThreshold[] = "accepted signatures do not match threshold, Found: 0, Expected 1";

TEST(DssePaeTest, SpecVector) {
  EXPECT_EQ(DssePae("http://example.com/HelloWorld", "hello world"),
            "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  EXPECT_EQ(DssePae("http://example.com/HelloWorld", "hello world"),
            ReadFixture("cosign/dsse/spec-helloworld/pae.bin"));
  EXPECT_EQ(DssePae("", ""), "DSSEv1 0  0 ");
}

// The spec's own example signs with raw r||s (IEEE P1363). Like cosign we only take DER, so the
// envelope as published does not verify; the same signature in DER (sig.der) does.
TEST(DsseFixtureTest, SpecHelloWorld) {
  const std::string dir = "cosign/dsse/spec-helloworld/";
  ASSERT_OK_AND_ASSIGN(DsseEnvelope env,
                       DsseEnvelope::Parse(ReadFixture(absl::StrCat(dir, "envelope.json"))));
  EXPECT_EQ(env.payload_type, "http://example.com/HelloWorld");
  EXPECT_EQ(env.payload, "hello world");
  ASSERT_EQ(env.signatures.size(), 1u);
  EXPECT_EQ(env.signatures[0].keyid, "");  // absent in the file
  EXPECT_EQ(env.signatures[0].sig.size(), 64u);
  EXPECT_EQ(DssePae(env.payload_type, env.payload), ReadFixture(absl::StrCat(dir, "pae.bin")));
  ASSERT_OK_AND_ASSIGN(PublicKey key,
                       PublicKey::ParsePem(ReadFixture(absl::StrCat(dir, "pub.pem"))));
  std::vector<PublicKey> keys = {key};
  EXPECT_THAT(VerifyDsseEnvelope(env, keys),
              StatusIs(absl::StatusCode::kInvalidArgument, kThreshold));
  env.signatures[0].sig = ReadFixture(absl::StrCat(dir, "sig.der"));
  ASSERT_OK_AND_ASSIGN(DsseVerified ok, VerifyDsseEnvelope(env, keys));
  EXPECT_EQ(ok.payload, "hello world");
}

TEST(DsseFixtureTest, LocalCosignAttestations) {
  ASSERT_OK_AND_ASSIGN(PublicKey chains,
                       PublicKey::ParsePem(ReadFixture("cosign/keys/chains-p256.pub")));
  ASSERT_OK_AND_ASSIGN(PublicKey tekton,
                       PublicKey::ParsePem(ReadFixture("cosign/keys/tekton-p256.pub")));
  for (const char* name : {"custom", "codereview", "NEGATIVE-wrong-subject"}) {
    SCOPED_TRACE(name);
    const std::string base = absl::StrCat("cosign/dsse/local-cosign-attestation/", name);
    const std::string text = ReadFixture(absl::StrCat(base, ".envelope.json"));
    ASSERT_OK_AND_ASSIGN(DsseEnvelope env, DsseEnvelope::Parse(text));
    EXPECT_EQ(env.payload_type, kInTotoPayloadType);
    EXPECT_EQ(env.payload, ReadFixture(absl::StrCat(base, ".statement.json")));
    EXPECT_EQ(DssePae(env.payload_type, env.payload), ReadFixture(absl::StrCat(base, ".pae.bin")));
    // Signed validly (the wrong-subject one fails later, at the claim check, not here).
    std::vector<PublicKey> keys = {tekton, chains};
    ASSERT_OK_AND_ASSIGN(DsseVerified ok, VerifyDsseEnvelope(env, keys));
    EXPECT_EQ(ok.key_index, 1u);
    std::vector<PublicKey> wrong = {tekton};
    EXPECT_THAT(VerifyDsseEnvelope(env, wrong),
                StatusIs(absl::StatusCode::kInvalidArgument, kThreshold));
    // We write the same layout cosign v2 wrote.
    EXPECT_EQ(env.Serialize(), text);
  }
}

TEST(DsseFixtureTest, KyvernoLegacyEnvelopesVerify) {
  ASSERT_OK_AND_ASSIGN(
      PublicKey key,
      PublicKey::ParsePem(ReadFixture("cosign/dsse/kyverno-legacy-payloadtype/pub.pem")));
  std::vector<PublicKey> keys = {key};
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    ASSERT_OK_AND_ASSIGN(DsseEnvelope env,
                         DsseEnvelope::Parse(ReadFixture(absl::StrCat(
                             "cosign/dsse/kyverno-legacy-payloadtype/envelope-", i, ".json"))));
    // Valid DSSE, but not an in-toto payloadType: the caller (verifier) must reject that.
    EXPECT_NE(env.payload_type, kInTotoPayloadType);
    EXPECT_OK(VerifyDsseEnvelope(env, keys).status());
  }
}

TEST(DsseEnvelopeTest, ParseAcceptsWhatTheSpecAllows) {
  // URL-safe base64 without padding, keyid missing or null, other field order, extra members.
  const std::string payload = "\xfb\xff payload?>";
  const std::string sig = "\xfb\xef\xbe";
  std::string url_payload = Base64UrlEncode(payload);
  ASSERT_OK_AND_ASSIGN(DsseEnvelope env, DsseEnvelope::Parse(absl::StrCat(
                                             R"({"signatures":[{"sig":")", Base64UrlEncode(sig),
                                             R"("},{"keyid":null,"sig":""}],"payload":")",
                                             url_payload, R"(","payloadType":"t","x":1})")));
  EXPECT_EQ(env.payload, payload);
  ASSERT_EQ(env.signatures.size(), 2u);
  EXPECT_EQ(env.signatures[0].sig, sig);
  EXPECT_EQ(env.signatures[1].keyid, "");
}

TEST(DsseEnvelopeTest, ParseRejectsMalformed) {
  const char* bad[] = {
      "",
      "[]",
      R"({"payload":"","signatures":[]})",
      R"({"payloadType":1,"payload":"","signatures":[]})",
      R"({"payloadType":"t","signatures":[]})",
      R"({"payloadType":"t","payload":"!!","signatures":[]})",
      R"({"payloadType":"t","payload":"","signatures":{}})",
      R"({"payloadType":"t","payload":"","signatures":["x"]})",
      R"({"payloadType":"t","payload":"","signatures":[{"keyid":"k"}]})",
      R"({"payloadType":"t","payload":"","signatures":[{"sig":"a b"}]})",
      R"({"payloadType":"t","payload":"","signatures":[{"sig":"","keyid":5}]})",
  };
  for (const char* text : bad) {
    EXPECT_THAT(DsseEnvelope::Parse(text), StatusIs(absl::StatusCode::kInvalidArgument)) << text;
  }
  std::string many = R"({"payloadType":"t","payload":"","signatures":[)";
  for (size_t i = 0; i <= kMaxDsseSignatures; ++i)
    absl::StrAppend(&many, i ? "," : "", R"({"sig":""})");
  absl::StrAppend(&many, "]}");
  EXPECT_THAT(DsseEnvelope::Parse(many),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("signatures")));
  std::string deep(100000, '[');
  EXPECT_THAT(DsseEnvelope::Parse(deep), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DsseEnvelopeTest, SignAndVerifyRoundTrip) {
  ASSERT_OK_AND_ASSIGN(PrivateKey key,
                       LoadCosignKey(ReadFixture("cosign/keys/chains-p256.key"), SecretData("p")));
  ASSERT_OK_AND_ASSIGN(std::string keyid, SshFingerprint(key.public_key()));
  const std::string statement =
      ReadFixture("cosign/dsse/local-cosign-attestation/custom.statement.json");
  ASSERT_OK_AND_ASSIGN(std::string text,
                       SignDsseEnvelope(key, kInTotoPayloadType, statement, keyid));
  EXPECT_EQ(text.rfind(absl::StrCat(R"({"payloadType":"application/vnd.in-toto+json","payload":")",
                                    Base64Encode(statement), R"(","signatures":[{"keyid":")", keyid,
                                    R"(","sig":")"),
                       0),
            0u)
      << text;
  ASSERT_OK_AND_ASSIGN(DsseEnvelope env, DsseEnvelope::Parse(text));
  EXPECT_EQ(env.signatures[0].keyid, keyid);
  std::vector<PublicKey> keys = {key.public_key()};
  ASSERT_OK_AND_ASSIGN(DsseVerified ok, VerifyDsseEnvelope(env, keys));
  EXPECT_EQ(ok.payload, statement);
  EXPECT_EQ(ok.payload_type, kInTotoPayloadType);

  // Any change to what the PAE covers breaks it.
  DsseEnvelope tampered = env;
  tampered.payload_type = "application/vnd.in-toto+json ";
  EXPECT_THAT(VerifyDsseEnvelope(tampered, keys),
              StatusIs(absl::StatusCode::kInvalidArgument, kThreshold));
  tampered = env;
  tampered.payload += " ";
  EXPECT_THAT(VerifyDsseEnvelope(tampered, keys),
              StatusIs(absl::StatusCode::kInvalidArgument, kThreshold));
  tampered = env;
  tampered.signatures.clear();
  EXPECT_THAT(VerifyDsseEnvelope(tampered, keys),
              StatusIs(absl::StatusCode::kInvalidArgument, "no signature found"));
  EXPECT_THAT(VerifyDsseEnvelope(env, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "no trusted keys"));
  // One good signature among bad ones is enough (threshold 1).
  tampered = env;
  tampered.signatures.insert(tampered.signatures.begin(), DsseSignature{"", "junk"});
  ASSERT_OK_AND_ASSIGN(ok, VerifyDsseEnvelope(tampered, keys));
  EXPECT_EQ(ok.signature_index, 1u);
}

// Independent check: Python computes the PAE itself from our envelope JSON and verifies the
// signature with python3-securesystemslib 0.26 (SSlibKey.verify_signature; that version has no
// DSSE envelope class). It supports P-256, P-384, RSA PKCS#1 v1.5 and Ed25519; P-521 is checked
// with the openssl CLI over the PAE instead.
constexpr char kPythonVerify[] = R"py(
import base64, json, sys
from cryptography.hazmat.primitives import serialization as s
from securesystemslib.signer import SSlibKey, Signature
env_path, pub_path, keytype, scheme = sys.argv[1:5]
env = json.load(open(env_path))
payload = base64.b64decode(env["payload"], validate=True)
ptype = env["payloadType"].encode()
pae = b"DSSEv1 %d %s %d %s" % (len(ptype), ptype, len(payload), payload)
pem = open(pub_path).read()
if keytype == "ed25519":
    public = s.load_pem_public_key(pem.encode()).public_bytes(s.Encoding.Raw, s.PublicFormat.Raw).hex()
else:
    public = pem
key = SSlibKey("00", keytype, scheme, {"public": public})
sig = env["signatures"][0]
key.verify_signature(Signature("00", base64.b64decode(sig["sig"], validate=True).hex()), pae)
print("verified")
)py";

TEST(DsseInteropTest, SecuresystemslibVerifiesOurEnvelopes) {
  const std::string dir = testing::TempDir();
  const std::string script = absl::StrCat(dir, "/verify.py");
  testing::WriteFileOrDie(script, kPythonVerify);
  struct Case {
    KeyType type;
    HashAlgorithm hash;
    const char* keytype;
    const char* scheme;
  };
  const Case cases[] = {
      {KeyType::kEcdsaP256, HashAlgorithm::kSha256, "ecdsa", "ecdsa-sha2-nistp256"},
      {KeyType::kEcdsaP384, HashAlgorithm::kSha384, "ecdsa", "ecdsa-sha2-nistp384"},
      {KeyType::kRsa2048, HashAlgorithm::kSha256, "rsa", "rsa-pkcs1v15-sha256"},
      {KeyType::kEd25519, HashAlgorithm::kSha256, "ed25519", "ed25519"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(KeyTypeName(c.type));
    ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::Generate(c.type));
    ASSERT_OK_AND_ASSIGN(std::string keyid, SshFingerprint(key.public_key()));
    ASSERT_OK_AND_ASSIGN(
        std::string text,
        SignDsseEnvelope(key, kInTotoPayloadType, R"({"_type":"x","n":"\u00e9"})", keyid, c.hash));
    const std::string env_path = absl::StrCat(dir, "/env.json");
    const std::string pub_path = absl::StrCat(dir, "/pub.pem");
    testing::WriteFileOrDie(env_path, text);
    testing::WriteFileOrDie(pub_path, key.public_key().Pem());
    ASSERT_OK_AND_ASSIGN(
        testing::CommandResult r,
        testing::RunCommand({"/usr/bin/python3", script, env_path, pub_path, c.keytype, c.scheme}));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "verified\n");
    // And a tampered envelope is refused by the same script.
    nlohmann::json doc = nlohmann::json::parse(text);
    doc["payloadType"] = "text/plain";
    testing::WriteFileOrDie(env_path, doc.dump());
    ASSERT_OK_AND_ASSIGN(r, testing::RunCommand({"/usr/bin/python3", script, env_path, pub_path,
                                                 c.keytype, c.scheme}));
    EXPECT_NE(r.exit_code, 0);
  }
}

TEST(DsseInteropTest, OpensslVerifiesP521OverThePae) {
  ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::Generate(KeyType::kEcdsaP521));
  ASSERT_OK_AND_ASSIGN(std::string text, SignDsseEnvelope(key, kInTotoPayloadType, "{}"));
  ASSERT_OK_AND_ASSIGN(DsseEnvelope env, DsseEnvelope::Parse(text));
  const std::string dir = testing::TempDir();
  testing::WriteFileOrDie(absl::StrCat(dir, "/pae"), "DSSEv1 28 application/vnd.in-toto+json 2 {}");
  testing::WriteFileOrDie(absl::StrCat(dir, "/sig"), env.signatures[0].sig);
  testing::WriteFileOrDie(absl::StrCat(dir, "/pub.pem"), key.public_key().Pem());
  ASSERT_OK_AND_ASSIGN(
      testing::CommandResult r,
      testing::RunCommand({"openssl", "dgst", "-sha256", "-verify", absl::StrCat(dir, "/pub.pem"),
                           "-signature", absl::StrCat(dir, "/sig"), absl::StrCat(dir, "/pae")}));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

}  // namespace
}  // namespace hallmark::crypto
