#include "storage/tekton_backend.h"

#include <map>
#include <string>

#include "base/encoding.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::storage {
namespace {

using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

const char kUid[] = "0b1e2d6e-8c1f-4a4f-9d7f-5c2f1e9b7a10";

TEST(TektonKeysTest, ChainsKeyForms) {
  EXPECT_EQ(TaskRunKey(kUid), std::string("taskrun-") + kUid);
  EXPECT_EQ(PipelineRunKey(kUid), std::string("pipelinerun-") + kUid);
  EXPECT_EQ(ImageKey(*oci::Digest::Parse("sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f"
                                         "6831de8ddc45e5986a00")),
            "634a8f35b5f1");
}

TEST(TektonBackendTest, AttestationAnnotations) {
  SignedArtifact a;
  a.kind = SignedArtifact::Kind::kAttestation;
  a.payload = R"({"_type":"https://in-toto.io/Statement/v0.1"})";
  a.signature =
      R"({"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]})";
  a.key = TaskRunKey(kUid);
  ASSERT_OK_AND_ASSIGN(auto backend, TektonBackend::New());
  EXPECT_EQ(backend->Name(), "tekton");
  ASSERT_OK_AND_ASSIGN(StoreResult r, backend->Store(a));
  const std::string k = a.key;
  EXPECT_THAT(
      r.run_annotations,
      UnorderedElementsAre(Pair("chains.tekton.dev/payload-" + k, Base64Encode(a.payload)),
                           Pair("chains.tekton.dev/signature-" + k, Base64Encode(a.signature)),
                           Pair("chains.tekton.dev/cert-" + k, ""),
                           Pair("chains.tekton.dev/chain-" + k, "")));
}

TEST(TektonBackendTest, ImageSignatureWithCertificate) {
  SignedArtifact a;
  a.payload = "payload";
  a.signature = std::string("\x30\x45\x02\x21", 4);
  a.certificate = "-----BEGIN CERTIFICATE-----\n";
  a.chain = "-----BEGIN CERTIFICATE-----\nchain";
  a.key = "634a8f35b5f1";
  ASSERT_OK_AND_ASSIGN(auto annotations, TektonAnnotations(a));
  EXPECT_EQ(annotations["chains.tekton.dev/signature-634a8f35b5f1"], "MEUCIQ==");
  EXPECT_EQ(annotations["chains.tekton.dev/cert-634a8f35b5f1"], Base64Encode(a.certificate));
  EXPECT_EQ(annotations["chains.tekton.dev/chain-634a8f35b5f1"], Base64Encode(a.chain));
}

TEST(TektonBackendTest, RejectsBadKeysAndOversizedAnnotations) {
  SignedArtifact a;
  a.payload = "p";
  a.signature = "s";
  for (const std::string& key :
       {std::string(""), std::string("634a8f35b5f"), std::string("634A8F35B5F1"),
        std::string("taskrun-"), std::string("taskrun-UPPER"), std::string("run-") + kUid,
        std::string("taskrun-") + std::string(37, 'a'), std::string("taskrun-a/b")}) {
    a.key = key;
    EXPECT_THAT(TektonAnnotations(a),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid key")))
        << key;
  }
  a.key = PipelineRunKey(kUid);
  a.payload = std::string(200 * 1024, 'x');  // base64 grows it past 256 KiB
  EXPECT_THAT(TektonAnnotations(a),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("over Kubernetes' limit")));
  a.payload = "";
  EXPECT_THAT(TektonAnnotations(a), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace hallmark::storage
