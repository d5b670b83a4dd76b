// The sign / attest / verify / verify-attestation verbs end to end: the hallmark binary against
// the real docker-registry (anonymous, htpasswd, token auth), results checked with independent
// tools (openssl for the simple-signing signature, python3-securesystemslib over a PAE built in
// Python for the DSSE envelope) and cosign-made signatures from shared/fixtures/cosign.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/file.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "oci/content_digest.h"
#include "oci/curl_registry_client.h"
#include "oci/manifest.h"
#include "oci/media_types.h"
#include "oci/registry_client.h"
#include "tests/registry/registry_server.h"

namespace hallmark::cmd {
namespace {

using ::hallmark::testing::CommandOptions;
using ::hallmark::testing::CommandResult;
using ::hallmark::testing::FixturePath;
using ::hallmark::testing::ReadFileOrDie;
using ::hallmark::testing::ReadFixture;
using ::hallmark::testing::RunCommand;
using ::hallmark::testing::WriteFileOrDie;
using ::hallmark::tests::registry::RegistryServer;
using ::hallmark::tests::registry::RegistryServerOptions;
using ::hallmark::tests::registry::TestImage;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

// Verifies a DSSE envelope with python3-securesystemslib (Debian 0.26), PAE built here in Python.
constexpr char kDssePython[] = R"PY(
import base64, json, sys
from securesystemslib.signer import SSlibKey, Signature
env = json.load(open(sys.argv[1]))
pub = open(sys.argv[2]).read()
payload = base64.b64decode(env["payload"], validate=True)
ptype = env["payloadType"].encode()
pae = b"DSSEv1 %d %s %d %s" % (len(ptype), ptype, len(payload), payload)
key = SSlibKey("ab", "ecdsa", "ecdsa-sha2-nistp256", {"public": pub})
sig = base64.b64decode(env["signatures"][0]["sig"], validate=True)
key.verify_signature(Signature("ab", sig.hex()), pae)
statement = json.loads(payload)
print(env["payloadType"], statement["predicateType"], statement["subject"][0]["digest"]["sha256"])
)PY";

class ImageSigningCliTest : public ::testing::Test {
 protected:
  void SetUp() override { StartRegistry(RegistryServerOptions()); }

  void StartRegistry(const RegistryServerOptions& options) {
    ASSERT_OK_AND_ASSIGN(registry_, RegistryServer::Start(options));
    dir_ = hallmark::testing::TempDir();
    empty_docker_config_ = hallmark::testing::TempDir();
    oci::RegistryClientOptions client_options;
    if (!options.users.empty()) {
      ASSERT_OK_AND_ASSIGN(client_options.keychain,
                           oci::Keychain::ParseDockerConfigJson(
                               registry_->DockerConfigJson(options.users.begin()->first)));
    }
    ASSERT_OK_AND_ASSIGN(client_, oci::NewCurlRegistryClient(client_options));
  }

  // Runs bin/hallmark with the Chains test key's password and no ambient docker config.
  CommandResult Hallmark(std::vector<std::string> args,
                         std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), hallmark::testing::RunfilePath("cmd/hallmark"));
    CommandOptions options;
    options.env = {
        {"COSIGN_PASSWORD", "p"}, {"DOCKER_CONFIG", empty_docker_config_}, {"HOME", dir_}};
    for (auto& [k, v] : env) options.env[k] = v;
    options.unset_env = {"COSIGN_REPOSITORY"};
    options.timeout = absl::Seconds(30);
    auto result = RunCommand(args, options);
    EXPECT_TRUE(result.ok()) << result.status();
    return *result;
  }

  std::string Ref(const std::string& rest) { return absl::StrCat(registry_->host(), "/", rest); }

  oci::ImageManifest Attachment(const std::string& repo, const oci::Digest& digest,
                                const std::string& suffix) {
    auto fetched = client_->GetManifest(
        *oci::Reference::Parse(absl::StrCat(Ref(repo), ":sha256-", digest.hex(), suffix)));
    EXPECT_TRUE(fetched.ok()) << fetched.status();
    if (!fetched.ok()) return oci::ImageManifest(oci::Descriptor("x", digest, 0));
    EXPECT_EQ(fetched->media_type, oci::kOciManifestMediaType);
    return *oci::ImageManifest::Parse(fetched->bytes);
  }

  std::string Blob(const std::string& repo, const oci::Digest& digest) {
    auto blob = client_->GetBlob(oci::Repository{registry_->host(), repo}, digest);
    EXPECT_TRUE(blob.ok()) << blob.status();
    return blob.ok() ? *blob : "";
  }

  // Stores a `.sig` holding one layer (payload + annotations) for `digest`, as cosign would.
  void PutSignature(const std::string& repo, const oci::Digest& digest, const std::string& payload,
                    const std::map<std::string, std::string>& annotations) {
    oci::Repository r{registry_->host(), repo};
    oci::Descriptor layer(std::string(oci::kCosignSimpleSigningMediaType), oci::Sha256Of(payload),
                          payload.size());
    layer.annotations = annotations;
    const std::string config =
        R"({"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}})";
    oci::ImageManifest m(oci::Descriptor(std::string(oci::kOciConfigMediaType),
                                         oci::Sha256Of(config), config.size()));
    m.media_type = std::string(oci::kOciManifestMediaType);
    m.layers = {layer};
    ASSERT_OK(client_->UploadBlob(r, oci::Sha256Of(payload), payload));
    ASSERT_OK(client_->UploadBlob(r, oci::Sha256Of(config), config));
    ASSERT_OK(
        client_
            ->PutManifest(r, oci::SignatureTag(digest), m.Serialize(), oci::kOciManifestMediaType)
            .status());
  }

  const std::string key_ = FixturePath("cosign/keys/chains-p256.key");  // password "p"
  const std::string pub_ = FixturePath("cosign/keys/chains-p256.pub");
  std::unique_ptr<RegistryServer> registry_;
  std::unique_ptr<oci::RegistryClient> client_;
  std::string dir_;
  std::string empty_docker_config_;
};

TEST_F(ImageSigningCliTest, SignThenCheckWithOpensslAndVerify) {
  ASSERT_OK_AND_ASSIGN(TestImage image, registry_->PushImage("demo/app", "v1"));
  CommandResult sign = Hallmark({"sign", "--key", key_, Ref("demo/app:v1")});
  ASSERT_EQ(sign.exit_code, 0) << sign.err;
  EXPECT_THAT(sign.err, HasSubstr("Pushing signature to: " + Ref("demo/app")));

  // cosign's layout: OCI manifest, one simple-signing layer with the signature annotation.
  oci::ImageManifest sig = Attachment("demo/app", image.digest, ".sig");
  EXPECT_EQ(sig.config.media_type, oci::kOciConfigMediaType);
  ASSERT_THAT(sig.layers, SizeIs(1));
  EXPECT_EQ(sig.layers[0].media_type, oci::kCosignSimpleSigningMediaType);
  std::string payload = Blob("demo/app", sig.layers[0].digest);
  nlohmann::json claims = nlohmann::json::parse(payload);
  EXPECT_EQ(claims["critical"]["image"]["docker-manifest-digest"], image.digest.String());
  EXPECT_EQ(claims["critical"]["identity"]["docker-reference"], Ref("demo/app:v1"));
  EXPECT_EQ(claims["critical"]["type"], "cosign container image signature");
  EXPECT_TRUE(claims["optional"].is_null());

  // openssl verifies the annotation's signature over the layer bytes.
  ASSERT_OK_AND_ASSIGN(std::string der,
                       Base64Decode(*sig.layers[0].Annotation(oci::kCosignSignatureAnnotation)));
  WriteFileOrDie(dir_ + "/payload.json", payload);
  WriteFileOrDie(dir_ + "/sig.der", der);
  ASSERT_OK_AND_ASSIGN(CommandResult openssl,
                       RunCommand({"openssl", "dgst", "-sha256", "-verify", pub_, "-signature",
                                   dir_ + "/sig.der", dir_ + "/payload.json"}));
  EXPECT_EQ(openssl.exit_code, 0) << openssl.err;
  EXPECT_THAT(openssl.out, HasSubstr("Verified OK"));
  WriteFileOrDie(dir_ + "/payload.json", payload + " ");
  ASSERT_OK_AND_ASSIGN(openssl,
                       RunCommand({"openssl", "dgst", "-sha256", "-verify", pub_, "-signature",
                                   dir_ + "/sig.der", dir_ + "/payload.json"}));
  EXPECT_NE(openssl.exit_code, 0);

  // hallmark verify: cosign's stderr and stdout.
  CommandResult verify =
      Hallmark({"verify", "--key", pub_, "--insecure-ignore-tlog", Ref("demo/app:v1")});
  ASSERT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_THAT(verify.err, StartsWith("WARNING: Skipping tlog verification is an insecure practice "
                                     "that lacks transparency and auditability verification for "
                                     "the signature.\n"));
  EXPECT_THAT(verify.err, HasSubstr(absl::StrCat(
                              "\nVerification for ", Ref("demo/app:v1"),
                              " --\nThe following checks were performed on each of these "
                              "signatures:\n  - The cosign claims were validated\n  - The "
                              "signatures were verified against the specified public key\n")));
  EXPECT_EQ(verify.out, absl::StrCat("\n[", payload, "]\n"));
  CommandResult text = Hallmark({"verify", "--key", pub_, "--insecure-ignore-tlog", "-o", "text",
                                 Ref("demo/app@" + image.digest.String())});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out, payload + "\n");

  // No transparency log: refused without the flag.
  CommandResult no_flag = Hallmark({"verify", "--key", pub_, Ref("demo/app:v1")});
  EXPECT_EQ(no_flag.exit_code, 1);
  EXPECT_THAT(no_flag.err, HasSubstr("Error: hallmark has no transparency log"));
  EXPECT_THAT(no_flag.err, HasSubstr("error during command execution: "));

  // Re-signing adds nothing.
  CommandResult again = Hallmark({"sign", "--key", key_, Ref("demo/app:v1")});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.err, HasSubstr("already there"));
  EXPECT_THAT(Attachment("demo/app", image.digest, ".sig").layers, SizeIs(1));
}

TEST_F(ImageSigningCliTest, AnnotationsAndExitCodes) {
  ASSERT_OK_AND_ASSIGN(TestImage image, registry_->PushImage("demo/annotated", "v1"));
  ASSERT_OK_AND_ASSIGN(TestImage unsigned_image, registry_->PushImage("demo/unsigned", "v1", "u"));
  CommandResult sign = Hallmark(
      {"sign", "--key", key_, "-a", "env=prod", "-a", "team=a=b", Ref("demo/annotated:v1")});
  ASSERT_EQ(sign.exit_code, 0) << sign.err;
  CommandResult ok = Hallmark({"verify", "--key", pub_, "--insecure-ignore-tlog", "-a", "env=prod",
                               "-a", "team=a=b", Ref("demo/annotated:v1")});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_THAT(ok.err, HasSubstr("  - The specified annotations were verified.\n"));
  EXPECT_THAT(ok.out, HasSubstr(R"("optional":{"env":"prod","team":"a=b"})"));

  CommandResult wrong_annotation = Hallmark({"verify", "--key", pub_, "--insecure-ignore-tlog",
                                             "-a", "env=dev", Ref("demo/annotated:v1")});
  EXPECT_EQ(wrong_annotation.exit_code, 12);
  EXPECT_THAT(wrong_annotation.err,
              HasSubstr("Error: no matching signatures: missing or incorrect annotation\n"));

  CommandResult wrong_key = Hallmark({"verify", "--key", FixturePath("cosign/keys/tekton-p256.pub"),
                                      "--insecure-ignore-tlog", Ref("demo/annotated:v1")});
  EXPECT_EQ(wrong_key.exit_code, 12);
  EXPECT_THAT(wrong_key.err, HasSubstr("Error: no matching signatures: invalid signature when "
                                       "validating ASN.1 encoded signature\n"));

  CommandResult none =
      Hallmark({"verify", "--key", pub_, "--insecure-ignore-tlog", Ref("demo/unsigned:v1")});
  EXPECT_EQ(none.exit_code, 10);
  EXPECT_THAT(none.err, HasSubstr("Error: no signatures found\n"));

  CommandResult missing =
      Hallmark({"verify", "--key", pub_, "--insecure-ignore-tlog", Ref("demo/unsigned:nope")});
  EXPECT_EQ(missing.exit_code, 11);
  EXPECT_THAT(missing.err, HasSubstr("Error: image tag not found: "));

  CommandResult no_att = Hallmark(
      {"verify-attestation", "--key", pub_, "--insecure-ignore-tlog", Ref("demo/unsigned:v1")});
  EXPECT_EQ(no_att.exit_code, 1);
  EXPECT_THAT(no_att.err, HasSubstr("Error: no matching attestations: \n"));

  CommandResult bad_key = Hallmark(
      {"verify", "--key", dir_ + "/absent.pub", "--insecure-ignore-tlog", Ref("demo/unsigned:v1")});
  EXPECT_EQ(bad_key.exit_code, 1);
  EXPECT_THAT(bad_key.err, HasSubstr("Error: loading public key: "));
}

TEST_F(ImageSigningCliTest, AttestThenCheckWithSecuresystemslibAndVerify) {
  ASSERT_OK_AND_ASSIGN(TestImage image, registry_->PushImage("demo/attested", "v1"));
  const std::string predicate = dir_ + "/provenance.json";
  WriteFileOrDie(
      predicate,
      R"({"builder":{"id":"https://tekton.dev/chains/v2"},"buildType":"tekton.dev/v1/TaskRun","invocation":{}})");
  CommandResult attest = Hallmark({"attest", "--key", key_, "--predicate", predicate, "--type",
                                   "slsaprovenance", Ref("demo/attested:v1")});
  ASSERT_EQ(attest.exit_code, 0) << attest.err;

  oci::ImageManifest att = Attachment("demo/attested", image.digest, ".att");
  ASSERT_THAT(att.layers, SizeIs(1));
  EXPECT_EQ(att.layers[0].media_type, oci::kDsseEnvelopeMediaType);
  EXPECT_EQ(att.layers[0].Annotation(oci::kPredicateTypeAnnotation),
            "https://slsa.dev/provenance/v0.2");
  EXPECT_EQ(att.layers[0].Annotation(oci::kCosignSignatureAnnotation), "");
  const std::string envelope = Blob("demo/attested", att.layers[0].digest);
  WriteFileOrDie(dir_ + "/envelope.json", envelope);
  WriteFileOrDie(dir_ + "/dsse.py", kDssePython);
  ASSERT_OK_AND_ASSIGN(CommandResult python, RunCommand({"/usr/bin/python3", dir_ + "/dsse.py",
                                                         dir_ + "/envelope.json", pub_}));
  ASSERT_EQ(python.exit_code, 0) << python.err;
  EXPECT_EQ(python.out,
            absl::StrCat("application/vnd.in-toto+json https://slsa.dev/provenance/v0.2 ",
                         image.digest.hex(), "\n"));

  CommandResult verify = Hallmark({"verify-attestation", "--key", pub_, "--insecure-ignore-tlog",
                                   "--type", "slsaprovenance", Ref("demo/attested:v1")});
  ASSERT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_EQ(verify.out, envelope + "\n");
  EXPECT_THAT(verify.err, StartsWith("WARNING: Skipping tlog verification is an insecure practice "
                                     "that lacks transparency and auditability verification for "
                                     "the attestation.\n"));

  // Another type is not satisfied by this one (CVE-2022-35929).
  CommandResult vuln = Hallmark({"verify-attestation", "--key", pub_, "--insecure-ignore-tlog",
                                 "--type", "vuln", Ref("demo/attested:v1")});
  EXPECT_EQ(vuln.exit_code, 1);
  EXPECT_THAT(vuln.err, HasSubstr("Error: none of the attestations matched the predicate type: "
                                  "vuln, found: https://slsa.dev/provenance/v0.2\n"));

  // Re-attesting the same statement adds nothing; a custom attestation is added next to it.
  ASSERT_EQ(Hallmark({"attest", "--key", key_, "--predicate", predicate, "--type", "slsaprovenance",
                      Ref("demo/attested:v1")})
                .exit_code,
            0);
  EXPECT_THAT(Attachment("demo/attested", image.digest, ".att").layers, SizeIs(1));
  WriteFileOrDie(dir_ + "/note.txt", "reviewed by alice\n");
  ASSERT_EQ(Hallmark({"attest", "--key", key_, "--predicate", dir_ + "/note.txt",
                      Ref("demo/attested:v1")})
                .exit_code,
            0);
  CommandResult custom = Hallmark(
      {"verify-attestation", "--key", pub_, "--insecure-ignore-tlog", Ref("demo/attested:v1")});
  ASSERT_EQ(custom.exit_code, 0) << custom.err;
  nlohmann::json env = nlohmann::json::parse(custom.out);
  ASSERT_OK_AND_ASSIGN(std::string statement, Base64Decode(env["payload"].get<std::string>()));
  nlohmann::json st = nlohmann::json::parse(statement);
  EXPECT_EQ(st["predicateType"], "https://cosign.sigstore.dev/attestation/v1");
  EXPECT_EQ(st["predicate"]["Data"], "reviewed by alice\n");
  EXPECT_EQ(st["subject"][0]["name"], Ref("demo/attested"));

  // Not JSON where a JSON predicate is needed.
  CommandResult bad = Hallmark({"attest", "--key", key_, "--predicate", dir_ + "/note.txt",
                                "--type", "slsaprovenance1", Ref("demo/attested:v1")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("must be a JSON object"));
}

TEST_F(ImageSigningCliTest, CosignMadeSignaturesFromTheFixtures) {
  struct Case {
    std::string dir;        // fixture under cosign/simplesigning
    std::string key;        // public key fixture
    std::string digest_of;  // whose manifest.json names the image digest
    int exit_code;
    std::string error;
  };
  const std::string sigs = "cosign/simplesigning/";
  std::vector<Case> cases = {
      {"valid", sigs + "cosign.pub", "valid", 0, ""},
      {"valid-skopeo-with-tag", sigs + "cosign.pub", "valid-skopeo-with-tag", 0, ""},
      {"key-with-rekor-bundle", sigs + "cosign2.pub", "key-with-rekor-bundle", 0, ""},
      {"local-chains-key", "cosign/keys/chains-p256.pub", "local-chains-key", 0, ""},
      {"NEGATIVE-unknown-key", sigs + "cosign.pub", "valid", 12,
       "no matching signatures: invalid signature when validating ASN.1 encoded signature"},
      {"NEGATIVE-modified-manifest", sigs + "cosign.pub", "NEGATIVE-modified-manifest", 12,
       "no matching signatures: invalid or missing digest in claim: sha256:634a8f35"},
      {"valid", sigs + "cosign2.pub", "valid", 12,
       "no matching signatures: invalid signature when validating ASN.1"},
      // A signature for one image stored at another image's digest.
      {"valid", sigs + "cosign.pub", "key-with-rekor-bundle", 12,
       "no matching signatures: invalid or missing digest in claim: sha256:634a8f35"},
  };
  int n = 0;
  for (const Case& c : cases) {
    const std::string repo = absl::StrCat("fixtures/case", n++);
    const std::string base = sigs + c.dir + "/";
    const std::string payload = ReadFixture(base + "payload.json");
    std::map<std::string, std::string> annotations;
    if (hallmark::FileExists(FixturePath(base + "layer-descriptor-info.json"))) {
      nlohmann::json info = nlohmann::json::parse(ReadFixture(base + "layer-descriptor-info.json"));
      for (auto& [k, v] : info["annotations"].items()) annotations[k] = v.get<std::string>();
    } else {
      annotations[std::string(oci::kCosignSignatureAnnotation)] =
          std::string(absl::StripAsciiWhitespace(ReadFixture(base + "signature.b64")));
    }
    const std::string manifest = ReadFixture(sigs + c.digest_of + "/manifest.json");
    const oci::Digest digest = oci::Sha256Of(manifest);
    PutSignature(repo, digest, payload, annotations);
    CommandResult r = Hallmark({"verify", "--key", FixturePath(c.key), "--insecure-ignore-tlog",
                                Ref(repo + "@" + digest.String())});
    EXPECT_EQ(r.exit_code, c.exit_code) << c.dir << ": " << r.err;
    if (c.exit_code == 0) {
      EXPECT_EQ(r.out, absl::StrCat("\n[", payload, "]\n")) << c.dir;
    } else {
      EXPECT_THAT(r.err, HasSubstr("Error: " + c.error)) << c.dir;
    }
  }
  // The image manifests themselves cannot be pushed: their blobs are not in this registry.
  EXPECT_THAT(
      client_->PutManifest({registry_->host(), "fixtures/case0"}, "image",
                           ReadFixture(sigs + "valid/manifest.json"),
                           oci::kDockerManifestMediaType),
      hallmark::testing::StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("BLOB_UNKNOWN")));

  // A tampered payload (another docker-reference) fails; the untouched one passes.
  const std::string tampered_repo = "fixtures/tampered";
  std::string payload = ReadFixture(sigs + "valid/payload.json");
  payload.replace(payload.find("192.168.64.2"), 12, "192.168.64.3");
  nlohmann::json info =
      nlohmann::json::parse(ReadFixture(sigs + "valid/layer-descriptor-info.json"));
  const oci::Digest digest = oci::Sha256Of(ReadFixture(sigs + "valid/manifest.json"));
  PutSignature(
      tampered_repo, digest, payload,
      {{std::string(oci::kCosignSignatureAnnotation),
        info["annotations"][std::string(oci::kCosignSignatureAnnotation)].get<std::string>()}});
  CommandResult tampered =
      Hallmark({"verify", "--key", FixturePath(sigs + "cosign.pub"), "--insecure-ignore-tlog",
                Ref(tampered_repo + "@" + digest.String())});
  EXPECT_EQ(tampered.exit_code, 12);
  EXPECT_THAT(tampered.err, HasSubstr("invalid signature when validating ASN.1 encoded signature"));
}

TEST_F(ImageSigningCliTest, CosignRepositoryMovesSignatures) {
  ASSERT_OK_AND_ASSIGN(TestImage image, registry_->PushImage("demo/moved", "v1"));
  std::map<std::string, std::string> env = {{"COSIGN_REPOSITORY", Ref("sigs/store")}};
  CommandResult sign = Hallmark({"sign", "--key", key_, Ref("demo/moved:v1")}, env);
  ASSERT_EQ(sign.exit_code, 0) << sign.err;
  EXPECT_THAT(sign.err, HasSubstr("Pushing signature to: " + Ref("sigs/store")));
  EXPECT_THAT(Attachment("sigs/store", image.digest, ".sig").layers, SizeIs(1));
  EXPECT_EQ(Hallmark({"verify", "--key", pub_, "--insecure-ignore-tlog", Ref("demo/moved:v1")}, env)
                .exit_code,
            0);
  EXPECT_EQ(
      Hallmark({"verify", "--key", pub_, "--insecure-ignore-tlog", Ref("demo/moved:v1")}).exit_code,
      10);
}

class AuthenticatedCliTest : public ImageSigningCliTest {
 protected:
  void SetUp() override {}
};

TEST_F(AuthenticatedCliTest, HtpasswdRegistryWithRegistryConfigFile) {
  RegistryServerOptions options;
  options.auth = RegistryServerOptions::Auth::kHtpasswd;
  options.users = {{"alice", "wonderland"}};
  StartRegistry(options);
  ASSERT_OK_AND_ASSIGN(TestImage image, registry_->PushImage("private/app", "v1"));
  WriteFileOrDie(dir_ + "/config.json", registry_->DockerConfigJson("alice"));
  CommandResult sign = Hallmark(
      {"sign", "--key", key_, "--registry-config", dir_ + "/config.json", Ref("private/app:v1")});
  ASSERT_EQ(sign.exit_code, 0) << sign.err;
  CommandResult verify =
      Hallmark({"verify", "--key", pub_, "--insecure-ignore-tlog", "--registry-config",
                dir_ + "/config.json", Ref("private/app:v1")});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;

  WriteFileOrDie(dir_ + "/wrong.json",
                 absl::StrCat(R"({"auths":{")", registry_->host(), R"(":{"auth":")",
                              Base64Encode("alice:not-it"), R"("}}})"));
  CommandResult wrong =
      Hallmark({"verify", "--key", pub_, "--insecure-ignore-tlog", "--registry-config",
                dir_ + "/wrong.json", Ref("private/app:v1")});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_THAT(wrong.err, HasSubstr("rejected the credentials of user \"alice\""));
  EXPECT_THAT(wrong.err, Not(HasSubstr("not-it")));
  CommandResult anonymous = Hallmark({"sign", "--key", key_, Ref("private/app:v1")});
  EXPECT_EQ(anonymous.exit_code, 1);
  EXPECT_THAT(anonymous.err, HasSubstr("requires authentication (HTTP Basic)"));
}

TEST_F(AuthenticatedCliTest, TokenRegistryWithDockerConfigEnv) {
  RegistryServerOptions options;
  options.auth = RegistryServerOptions::Auth::kToken;
  options.users = {{"bob", "builder"}};
  StartRegistry(options);
  ASSERT_OK_AND_ASSIGN(TestImage image, registry_->PushImage("private/app", "v1"));
  const std::string config_dir = hallmark::testing::TempDir();
  WriteFileOrDie(config_dir + "/config.json", registry_->DockerConfigJson("bob"));
  std::map<std::string, std::string> env = {{"DOCKER_CONFIG", config_dir}};
  WriteFileOrDie(dir_ + "/p.json", R"({"builder":{"id":"x"}})");
  ASSERT_EQ(Hallmark({"sign", "--key", key_, Ref("private/app:v1")}, env).exit_code, 0);
  ASSERT_EQ(Hallmark({"attest", "--key", key_, "--predicate", dir_ + "/p.json", "--type",
                      "slsaprovenance1", Ref("private/app:v1")},
                     env)
                .exit_code,
            0);
  EXPECT_EQ(
      Hallmark({"verify", "--key", pub_, "--insecure-ignore-tlog", Ref("private/app:v1")}, env)
          .exit_code,
      0);
  EXPECT_EQ(Hallmark({"verify-attestation", "--key", pub_, "--insecure-ignore-tlog", "--type",
                      "slsaprovenance1", Ref("private/app:v1")},
                     env)
                .exit_code,
            0);
  const std::string wrong_dir = hallmark::testing::TempDir();
  WriteFileOrDie(wrong_dir + "/config.json",
                 absl::StrCat(R"({"auths":{")", registry_->host(), R"(":{"auth":")",
                              Base64Encode("bob:wrong"), R"("}}})"));
  CommandResult wrong =
      Hallmark({"verify", "--key", pub_, "--insecure-ignore-tlog", Ref("private/app:v1")},
               {{"DOCKER_CONFIG", wrong_dir}});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_THAT(wrong.err, HasSubstr("rejected the credentials for " + registry_->host()));
}

}  // namespace
}  // namespace hallmark::cmd
