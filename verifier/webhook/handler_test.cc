// The admission handler end to end minus the socket: AdmissionReview in, AdmissionReview out,
// compared with the Kyverno fixtures as parsed JSON; the HTTP checks; the budget and fail-closed
// paths.
#include "verifier/webhook/handler.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "oci/content_digest.h"
#include "verifier/policy/testing/fake_sources.h"
#include "verifier/webhook/admission.h"

namespace hallmark::verifier::webhook {
namespace {

using ::hallmark::testing::ReadFixture;
using ::testing::HasSubstr;
using json = nlohmann::json;
using policy::testing::FakeImageSource;

const char kDemoDigest[] =
    "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00";

class HandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(
        std::vector<policy::Policy> p,
        policy::ParsePolicies(ReadFixture("kyverno/policies/local-seed-style.yaml")));
    store_.Set("test", p);
    oci::Digest demo = *oci::Digest::Parse(kDemoDigest);
    source_.SetTag("registry.example:5000/demo:v1", {demo});
    source_.SetTag("registry.example:5000/unsigned:v1", {oci::Sha256Of("unsigned")});
    auto blob = [](const std::string& f) { return ReadFixture("cosign/oci/" + f); };
    std::string sig0 = blob("sig-tag-example.layer0.blob");
    std::string att0 = blob("att-tag-example.layer0.blob"),
                att1 = blob("att-tag-example.layer1.blob");
    source_.SetLayers("registry.example:5000/demo", demo, verifier::AttachmentKind::kSignatures,
                      policy::testing::LayersOf(blob("sig-tag-example.manifest.json"),
                                                {{oci::Sha256Of(sig0).String(), sig0}}));
    source_.SetLayers("registry.example:5000/demo", demo, verifier::AttachmentKind::kAttestations,
                      policy::testing::LayersOf(blob("att-tag-example.manifest.json"),
                                                {{oci::Sha256Of(att0).String(), att0},
                                                 {oci::Sha256Of(att1).String(), att1}}));
    Rebuild({});
  }

  void Rebuild(HandlerOptions options) {
    policy::EngineOptions eo;
    eo.images = &source_;
    engine_ = std::make_unique<policy::Engine>(eo);
    handler_ = std::make_unique<AdmissionHandler>(&store_, engine_.get(), &metrics_, options);
  }

  json Post(Mode mode, const std::string& body) {
    HttpReply r = handler_->Handle(mode, "application/json", body);
    EXPECT_EQ(r.status, 200) << r.body;
    json j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }

  FakeImageSource source_;
  PolicyStore store_;
  Metrics metrics_;
  std::unique_ptr<policy::Engine> engine_;
  std::unique_ptr<AdmissionHandler> handler_;
};

TEST_F(HandlerTest, DeniedReviewEqualsKyvernosResponse) {
  json got = Post(Mode::kMutate, ReadFixture("kyverno/admission/request-pod-create-unsigned.json"));
  EXPECT_EQ(got, json::parse(ReadFixture("kyverno/admission/response-denied.json")));
  EXPECT_EQ(metrics_.Admissions("mutate", "denied"), 1u);
}

TEST_F(HandlerTest, AllowedReviewEqualsKyvernosResponseWithTheSamePatchBytes) {
  json got = Post(Mode::kMutate, ReadFixture("kyverno/admission/request-pod-create-signed.json"));
  EXPECT_EQ(got, json::parse(ReadFixture("kyverno/admission/response-allowed-mutated.json")));
  EXPECT_EQ(metrics_.Admissions("mutate", "allowed"), 1u);
}

TEST_F(HandlerTest, ValidatingPathChecksTheMutatedObject) {
  json review = json::parse(ReadFixture("kyverno/admission/request-pod-create-signed.json"));
  // As the API server sends it after the mutating webhook: pinned and annotated.
  json mutated = Post(Mode::kMutate, review.dump());
  json patch = json::parse(*Base64Decode(mutated["response"]["patch"].get<std::string>()));
  review["request"]["object"] = review["request"]["object"].patch(patch);
  json got = Post(Mode::kValidate, review.dump());
  EXPECT_EQ(got["response"]["allowed"], true) << got.dump();
  EXPECT_FALSE(got["response"].contains("patch"));
  // Without the mutation the image has no digest: verifyDigest denies.
  review = json::parse(ReadFixture("kyverno/admission/request-pod-create-signed.json"));
  got = Post(Mode::kValidate, review.dump());
  EXPECT_EQ(got["response"]["allowed"], false);
  EXPECT_THAT(got["response"]["status"]["message"].get<std::string>(),
              HasSubstr("check-signature: missing digest for registry.example:5000/demo:v1"));
}

TEST_F(HandlerTest, HttpLevelChecks) {
  std::string body = ReadFixture("kyverno/admission/request-pod-create-signed.json");
  EXPECT_EQ(handler_->Handle(Mode::kMutate, "text/plain", body).status, 415);
  EXPECT_EQ(handler_->Handle(Mode::kMutate, "", body).status, 415);
  EXPECT_EQ(handler_->Handle(Mode::kMutate, "application/json; charset=utf-8", body).status, 200);
  HttpReply bad =
      handler_->Handle(Mode::kMutate, "application/json", "{\"kind\":\"AdmissionReview\"}");
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr("apiVersion is required"));
  EXPECT_EQ(handler_->Handle(Mode::kMutate, "application/json", "not json").status, 400);
  EXPECT_EQ(
      handler_->Handle(Mode::kMutate, "application/json", std::string(kMaxReviewBytes + 1, ' '))
          .status,
      413);
  json no_uid = json::parse(body);
  no_uid["request"].erase("uid");
  EXPECT_THAT(handler_->Handle(Mode::kMutate, "application/json", no_uid.dump()).body,
              HasSubstr("request.uid is required"));
  json deletion = json::parse(body);
  deletion["request"]["operation"] = "DELETE";
  deletion["request"]["oldObject"] = deletion["request"]["object"];
  deletion["request"]["object"] = nullptr;
  EXPECT_EQ(Post(Mode::kMutate, deletion.dump())["response"]["allowed"], true);
}

TEST_F(HandlerTest, SlowRegistryIsDeniedWithinTheBudget) {
  source_.SetDelay(absl::Milliseconds(400));
  HandlerOptions o;
  o.budget = absl::Milliseconds(100);
  Rebuild(o);
  absl::Time start = absl::Now();
  json got = Post(Mode::kMutate, ReadFixture("kyverno/admission/request-pod-create-signed.json"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(got["response"]["allowed"], false);
  EXPECT_THAT(got["response"]["status"]["message"].get<std::string>(),
              HasSubstr("did not finish within the 100ms budget"));
  EXPECT_THAT(metrics_.Render(), HasSubstr("hallmark_webhook_budget_exceeded_total 1"));
  handler_.reset();  // waits for the late evaluation
}

TEST_F(HandlerTest, InternalErrorsDeny) {
  source_.FailAll(absl::InternalError("registry client crashed"));
  json got = Post(Mode::kMutate, ReadFixture("kyverno/admission/request-pod-create-signed.json"));
  EXPECT_EQ(got["response"]["allowed"], false);
  EXPECT_THAT(got["response"]["status"]["message"].get<std::string>(),
              HasSubstr("registry client crashed"));
  EXPECT_EQ(metrics_.Admissions("mutate", "error"), 1u);
}

}  // namespace
}  // namespace hallmark::verifier::webhook
