#include "tests/apiserver/webhook_admission.h"

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/encoding.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/apiserver/api_error.h"
#include "tests/apiserver/engine.h"

namespace hallmark::tests::apiserver {
namespace {

using ::hallmark::testing::IsOk;
using ::testing::HasSubstr;
using json = nlohmann::json;

// A plain-HTTP webhook in the test process (clientConfig.url accepts http:// for tests).
class Webhook {
 public:
  explicit Webhook(std::function<json(const json& request)> respond)
      : respond_(std::move(respond)) {
    server_.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      json review = json::parse(req.body);
      {
        std::lock_guard<std::mutex> lock(mu_);
        seen_.push_back(review["request"]);
      }
      json response = respond_(review["request"]);
      if (!response.contains("uid")) response["uid"] = review["request"]["uid"];
      res.set_content(json({{"apiVersion", "admission.k8s.io/v1"},
                            {"kind", "AdmissionReview"},
                            {"response", response}})
                          .dump(),
                      "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) absl::SleepFor(absl::Milliseconds(1));
  }
  ~Webhook() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_, "/hook"); }
  std::vector<json> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  httplib::Server server_;
  std::function<json(const json&)> respond_;
  std::mutex mu_;
  std::vector<json> seen_;
  int port_ = 0;
  std::thread thread_;
};

class WebhookAdmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = std::move(ApiEngine::New(EngineOptions{}).value());
    admission_ =
        std::make_unique<WebhookAdmission>(engine_.get(), std::map<std::string, std::string>{});
    engine_->SetAdmission(admission_.get());
    reg_ = engine_->registry();
  }

  const ResourceInfo& Res(const char* g, const char* v, const char* r) {
    return *reg_->Find(g, v, r);
  }

  void Configure(const char* kind, json webhooks) {
    const ResourceInfo& info =
        Res("admissionregistration.k8s.io", "v1",
            std::string(kind) == "Mutating" ? "mutatingwebhookconfigurations"
                                            : "validatingwebhookconfigurations");
    ASSERT_THAT(
        engine_->Create(info, "", {{"metadata", {{"name", "cfg"}}}, {"webhooks", webhooks}}, {}),
        IsOk());
  }

  static json Hook(const std::string& name, const std::string& url, json rules, json extra = {}) {
    json h = {{"name", name},
              {"admissionReviewVersions", {"v1"}},
              {"sideEffects", "None"},
              {"clientConfig", {{"url", url}}},
              {"rules", rules}};
    if (!extra.is_null()) h.update(extra);
    return h;
  }

  static json Rule(json resources, json operations = {"CREATE", "UPDATE"}) {
    return json::array({{{"apiGroups", {"*"}},
                         {"apiVersions", {"*"}},
                         {"operations", operations},
                         {"resources", resources}}});
  }

  absl::StatusOr<WriteResult> CreateConfigMap(const std::string& ns, const std::string& name,
                                              json labels = json::object()) {
    return engine_->Create(Res("", "v1", "configmaps"), ns,
                           {{"metadata", {{"name", name}, {"labels", labels}}}}, {});
  }

  std::unique_ptr<ApiEngine> engine_;
  std::unique_ptr<WebhookAdmission> admission_;
  std::shared_ptr<const Registry> reg_;
};

TEST_F(WebhookAdmissionTest, ValidatingDenialKeepsTheWebhooksCodeAndReason) {
  Webhook hook([](const json&) {
    return json{
        {"allowed", false},
        {"status", {{"code", 403}, {"reason", "Forbidden"}, {"message", "not on Fridays"}}}};
  });
  Configure("Validating", {Hook("v.example.com", hook.url(), Rule({"configmaps"}))});
  absl::StatusOr<WriteResult> r = CreateConfigMap("default", "cm");
  ASSERT_FALSE(r.ok());
  ApiError e = ApiError::FromStatus(r.status());
  EXPECT_EQ(e.code, 403);
  EXPECT_EQ(e.reason, "Forbidden");
  EXPECT_EQ(e.message, "admission webhook \"v.example.com\" denied the request: not on Fridays");
  // Nothing was stored.
  EXPECT_FALSE(engine_->Get(Res("", "v1", "configmaps"), "default", "cm").ok());
}

TEST_F(WebhookAdmissionTest, DenialWithoutExplanation) {
  Webhook hook([](const json&) { return json{{"allowed", false}}; });
  Configure("Validating", {Hook("quiet.example.com", hook.url(), Rule({"configmaps"}))});
  ApiError e = ApiError::FromStatus(CreateConfigMap("default", "cm").status());
  EXPECT_EQ(e.code, 400);
  EXPECT_EQ(e.reason, "");
  EXPECT_EQ(e.message,
            "admission webhook \"quiet.example.com\" denied the request without explanation");
}

TEST_F(WebhookAdmissionTest, MutationIsVisibleToValidationAndStored) {
  Webhook mutate([](const json&) {
    std::string patch = R"([{"op":"add","path":"/metadata/labels/mutated","value":"yes"}])";
    return json{
        {"allowed", true}, {"patchType", "JSONPatch"}, {"patch", ::hallmark::Base64Encode(patch)}};
  });
  Webhook validate([](const json&) { return json{{"allowed", true}}; });
  Configure("Mutating", {Hook("m.example.com", mutate.url(), Rule({"configmaps"}))});
  const ResourceInfo& vwc =
      Res("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations");
  ASSERT_THAT(
      engine_->Create(vwc, "",
                      {{"metadata", {{"name", "v"}}},
                       {"webhooks", {Hook("v.example.com", validate.url(), Rule({"configmaps"}))}}},
                      {}),
      IsOk());
  absl::StatusOr<WriteResult> r = CreateConfigMap("default", "cm", {{"a", "b"}});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(json::parse(r->body)["metadata"]["labels"]["mutated"], "yes");
  ASSERT_EQ(validate.seen().size(), 1u);
  EXPECT_EQ(validate.seen()[0]["object"]["metadata"]["labels"]["mutated"], "yes");
  // Mutating webhooks see the object before the server fills in uid and timestamps.
  ASSERT_EQ(mutate.seen().size(), 1u);
  EXPECT_FALSE(mutate.seen()[0]["object"]["metadata"].contains("uid"));
  EXPECT_TRUE(validate.seen()[0]["object"]["metadata"].contains("uid"));
}

TEST_F(WebhookAdmissionTest, NamespaceAndObjectSelectors) {
  Webhook hook([](const json&) { return json{{"allowed", true}}; });
  Configure("Validating",
            {Hook("v.example.com", hook.url(), Rule({"configmaps"}),
                  {{"namespaceSelector", {{"matchLabels", {{"env", "prod"}}}}},
                   {"objectSelector",
                    {{"matchExpressions", {{{"key", "skip"}, {"operator", "DoesNotExist"}}}}}}})});
  const ResourceInfo& ns = Res("", "v1", "namespaces");
  ASSERT_THAT(engine_->Create(
                  ns, "", {{"metadata", {{"name", "prod"}, {"labels", {{"env", "prod"}}}}}}, {}),
              IsOk());
  ASSERT_THAT(CreateConfigMap("default", "a"), IsOk());
  ASSERT_THAT(CreateConfigMap("prod", "b"), IsOk());
  ASSERT_THAT(CreateConfigMap("prod", "c", {{"skip", "1"}}), IsOk());
  std::vector<json> seen = hook.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0]["name"], "b");
  EXPECT_EQ(seen[0]["namespace"], "prod");
}

// deploy/webhook keeps the webhook away from its own namespace with
// `kubernetes.io/metadata.name NotIn [...]`: that only works because every Namespace carries the
// label (namespaces the server starts with, and new ones).
TEST_F(WebhookAdmissionTest, NamespaceSelectorsByTheNameLabel) {
  Webhook hook([](const json&) { return json{{"allowed", true}}; });
  Configure("Validating", {Hook("v.example.com", hook.url(), Rule({"configmaps"}),
                                {{"namespaceSelector",
                                  {{"matchExpressions",
                                    {{{"key", "kubernetes.io/metadata.name"},
                                      {"operator", "NotIn"},
                                      {"values", {"hallmark-system", "kube-system"}}}}}}}})});
  const ResourceInfo& ns = Res("", "v1", "namespaces");
  ASSERT_THAT(engine_->Create(ns, "", {{"metadata", {{"name", "hallmark-system"}}}}, {}), IsOk());
  ASSERT_THAT(engine_->Create(ns, "", {{"metadata", {{"name", "team"}}}}, {}), IsOk());
  for (const char* where : {"hallmark-system", "kube-system", "team", "default"}) {
    ASSERT_THAT(CreateConfigMap(where, "cm"), IsOk()) << where;
  }
  std::vector<std::string> seen;
  for (const json& r : hook.seen()) seen.push_back(r["namespace"]);
  EXPECT_THAT(seen, ::testing::ElementsAre("team", "default"));
}

TEST_F(WebhookAdmissionTest, TimeoutsAndFailurePolicy) {
  Webhook slow([](const json&) {
    absl::SleepFor(absl::Milliseconds(2500));
    return json{{"allowed", true}};
  });
  Configure("Validating", {Hook("slow.example.com", slow.url(), Rule({"configmaps"}),
                                {{"timeoutSeconds", 1}, {"failurePolicy", "Fail"}}),
                           Hook("lenient.example.com", slow.url(), Rule({"secrets"}),
                                {{"timeoutSeconds", 1}, {"failurePolicy", "Ignore"}})});
  absl::Time start = absl::Now();
  ApiError e = ApiError::FromStatus(CreateConfigMap("default", "cm").status());
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(2200));  // cut short at 1 s
  EXPECT_EQ(e.code, 500);
  EXPECT_EQ(e.reason, "InternalError");
  EXPECT_EQ(e.message, absl::StrCat("Internal error occurred: failed calling webhook "
                                    "\"slow.example.com\": failed to call webhook: Post \"",
                                    slow.url(), "?timeout=1s\": context deadline exceeded"));
  EXPECT_THAT(
      engine_->Create(Res("", "v1", "secrets"), "default", {{"metadata", {{"name", "s"}}}}, {}),
      IsOk());
}

TEST_F(WebhookAdmissionTest, InvalidResponsesAreCallFailures) {
  Webhook wrong_uid([](const json&) { return json{{"allowed", true}, {"uid", "not-yours"}}; });
  Configure("Validating", {Hook("uid.example.com", wrong_uid.url(), Rule({"configmaps"}))});
  ApiError e = ApiError::FromStatus(CreateConfigMap("default", "cm").status());
  EXPECT_EQ(e.code, 500);
  EXPECT_THAT(e.message, HasSubstr("failed calling webhook \"uid.example.com\": received invalid "
                                   "webhook response: expected response.uid="));
}

TEST_F(WebhookAdmissionTest, DeleteAndStatusSubresourceRules) {
  Webhook hook([](const json&) { return json{{"allowed", true}}; });
  Configure("Validating",
            {Hook("del.example.com", hook.url(), Rule({"configmaps"}, {"DELETE"})),
             Hook("status.example.com", hook.url(), Rule({"pipelineruns/status"}, {"UPDATE"}))});
  ASSERT_THAT(CreateConfigMap("default", "cm"), IsOk());
  EXPECT_TRUE(hook.seen().empty());
  ASSERT_THAT(engine_->Delete(Res("", "v1", "configmaps"), "default", "cm", json::object(), {}),
              IsOk());
  ASSERT_EQ(hook.seen().size(), 1u);
  EXPECT_EQ(hook.seen()[0]["operation"], "DELETE");
  EXPECT_TRUE(hook.seen()[0]["object"].is_null());
  EXPECT_EQ(hook.seen()[0]["oldObject"]["metadata"]["name"], "cm");
  EXPECT_EQ(hook.seen()[0]["options"]["kind"], "DeleteOptions");

  const ResourceInfo& runs = Res("tekton.dev", "v1", "pipelineruns");
  ASSERT_THAT(engine_->Create(runs, "default",
                              {{"metadata", {{"name", "pr"}}}, {"spec", json::object()}}, {}),
              IsOk());
  ASSERT_THAT(engine_->Patch(runs, "default", "pr", "", "application/merge-patch+json",
                             R"({"metadata":{"labels":{"a":"b"}}})", {}),
              IsOk());
  EXPECT_EQ(hook.seen().size(), 1u);  // the main resource does not match pipelineruns/status
  ASSERT_THAT(engine_->Patch(runs, "default", "pr", "status", "application/merge-patch+json",
                             R"({"status":{"conditions":[]}})", {}),
              IsOk());
  ASSERT_EQ(hook.seen().size(), 2u);
  EXPECT_EQ(hook.seen()[1]["subResource"], "status");
  EXPECT_EQ(hook.seen()[1]["kind"]["kind"], "PipelineRun");
  EXPECT_EQ(hook.seen()[1]["oldObject"]["metadata"]["name"], "pr");
}

}  // namespace
}  // namespace hallmark::tests::apiserver
