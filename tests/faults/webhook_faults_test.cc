// The admission webhook under fire, end to end: `hallmark webhook` as its own process over HTTPS,
// the real docker-registry behind HttpFaultProxy, a key-based ClusterPolicy file.
//  - the registry refusing connections, hanging, failing with 500s, or rate limiting with a
//    Retry-After longer than the budget: every admission is answered within the budget and
//    DENIED (fail closed); a success verified earlier stays cached;
//  - 1000 admissions of one image from 32 concurrent clients: one registry fetch per cache key
//    for a signed image, every one denied for an unsigned one (with the registry requests
//    counted at the proxy);
//  - malformed AdmissionReviews: each answered with an HTTP error or a denial, never an
//    admission of the unsigned image, and the process stays up.
#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/encoding.h"
#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "crypto/private_key.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "oci/curl_registry_client.h"
#include "oci/registry_client.h"
#include "tests/e2e/webhook_harness.h"
#include "tests/faults/fault_testing.h"
#include "tests/faults/http_fault_proxy.h"
#include "tests/registry/registry_server.h"
#include "verifier/attachments.h"
#include "verifier/policy/testing/signing.h"

namespace hallmark::tests::faults {
namespace {

using e2e::WebhookProcess;
using nlohmann::json;
using ::testing::HasSubstr;

constexpr absl::Duration kBudget = absl::Seconds(2);

json Pod(const std::string& image, int n) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", absl::StrCat("pod-", n)}, {"namespace", "faults"}}},
          {"spec", {{"containers", json::array({{{"name", "app"}, {"image", image}}})}}}};
}

json Review(const json& object, int n) {
  return {{"apiVersion", "admission.k8s.io/v1"},
          {"kind", "AdmissionReview"},
          {"request",
           {{"uid", absl::StrCat("00000000-0000-0000-0000-", 100000000000 + n)},
            {"kind", {{"group", ""}, {"version", "v1"}, {"kind", "Pod"}}},
            {"resource", {{"group", ""}, {"version", "v1"}, {"resource", "pods"}}},
            {"namespace", "faults"},
            {"name", absl::StrCat("pod-", n)},
            {"operation", "CREATE"},
            {"userInfo", {{"username", "faults"}}},
            {"object", object}}}};
}

struct Answer {
  bool http_ok = false;
  bool allowed = false;
  std::string message;
  absl::Duration took;
};

Answer Admit(WebhookProcess& webhook, const std::string& body) {
  Answer a;
  absl::Time start = absl::Now();
  absl::StatusOr<std::string> reply = webhook.Post("/mutate", body);
  a.took = absl::Now() - start;
  if (!reply.ok()) {
    a.message = std::string(reply.status().message());
    return a;
  }
  json r = json::parse(*reply, nullptr, false);
  a.http_ok = true;
  if (r.is_object() && r.contains("response") && r["response"].is_object()) {
    a.allowed = r["response"].value("allowed", false);
    if (r["response"].contains("status") && r["response"]["status"].is_object()) {
      a.message = r["response"]["status"].value("message", "");
    }
  }
  return a;
}

class WebhookFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::hallmark::testing::TempDir();
    ASSERT_OK_AND_ASSIGN(registry_, registry::RegistryServer::Start());
    ASSERT_OK_AND_ASSIGN(proxy_, HttpFaultProxy::Start(registry_->port()));
    ASSERT_OK_AND_ASSIGN(crypto::PrivateKey key,
                         crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256));
    ASSERT_OK_AND_ASSIGN(auto client, oci::NewCurlRegistryClient({}));
    for (const char* repo : {"faults/signed", "faults/signed2", "faults/signed3"}) {
      ASSERT_OK_AND_ASSIGN(registry::TestImage image, registry_->PushImage(repo, "v1", repo));
      oci::Repository r{registry_->host(), repo};
      ASSERT_OK_AND_ASSIGN(verifier::AttachmentLayer sig, verifier::policy::testing::SignatureLayer(
                                                              key, r.String(), image.digest));
      ASSERT_OK(verifier::policy::testing::PushAttachments(
          *client, r, image.digest, verifier::AttachmentKind::kSignatures, {sig}));
    }
    ASSERT_OK(registry_->PushImage("faults/unsigned", "v1", "unsigned").status());
    ::hallmark::testing::WriteFileOrDie(dir_ + "/policy.yaml", e2e::KeyPolicyYaml("faults", key.public_key().Pem()));
    ASSERT_OK_AND_ASSIGN(e2e::WebhookTls tls, e2e::MakeWebhookTls(dir_));
    ASSERT_OK_AND_ASSIGN(
        webhook_,
        WebhookProcess::Start({"--policy", dir_ + "/policy.yaml", "--budget", "2s"}, tls, dir_));
  }
  std::string Image(const std::string& repo) { return proxy_->host() + "/" + repo + ":v1"; }

  std::string dir_;
  std::unique_ptr<registry::RegistryServer> registry_;
  std::unique_ptr<HttpFaultProxy> proxy_;
  std::unique_ptr<WebhookProcess> webhook_;
};

TEST_F(WebhookFaultsTest, UnreachableOrFailingRegistryDeniesWithinTheBudget) {
  // A signed image verified once is cached (successes only, Kyverno's rule).
  Answer first = Admit(*webhook_, Review(Pod(Image("faults/signed"), 0), 0).dump());
  ASSERT_TRUE(first.allowed) << first.message;

  struct Case {
    std::string name;
    std::function<void()> fault;
  };
  std::vector<Case> cases = {
      {"connection refused", [&] { proxy_->Down(); }},
      {"registry hangs (black hole)", [&] { proxy_->BlackHole(true); }},
      {"500 on every request",
       [&] { ASSERT_OK(proxy_->AddRule({.method = "", .path = "", .status = 500, .count = -1})); }},
      {"429 with Retry-After 30 s",
       [&] {
         ASSERT_OK(proxy_->AddRule(
             {.method = "", .path = "", .status = 429, .retry_after = 30, .count = -1}));
       }},
  };
  int n = 1;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    c.fault();
    for (const char* repo : {"faults/signed2", "faults/unsigned"}) {
      Answer a = Admit(*webhook_, Review(Pod(Image(repo), n), n).dump());
      ++n;
      EXPECT_TRUE(a.http_ok) << a.message;
      EXPECT_FALSE(a.allowed) << repo;
      // The budget is counted from arrival; TLS and a loaded CI machine get some slack.
      EXPECT_LT(a.took, kBudget + absl::Milliseconds(1500)) << repo;
      Figure("webhook: " + c.name, {{"image", repo},
                                    {"ms_to_denial", Millis(a.took)},
                                    {"message", a.message.substr(0, 160)}});
    }
    // The image verified before the fault is still admitted from the cache.
    Answer cached = Admit(*webhook_, Review(Pod(Image("faults/signed"), n), n).dump());
    ++n;
    EXPECT_TRUE(cached.allowed) << cached.message;
    proxy_->ClearRules();
    proxy_->BlackHole(false);
    ASSERT_OK(proxy_->Up());
  }
  // Recovered: the signed image that was denied during the faults is admitted now.
  Answer after = Admit(*webhook_, Review(Pod(Image("faults/signed2"), n), n).dump());
  EXPECT_TRUE(after.allowed) << after.message;
}

TEST_F(WebhookFaultsTest, ThousandConcurrentAdmissionsOfOneImage) {
  constexpr int kRequests = 1000;
  constexpr int kClients = 32;
  for (const char* repo : {"faults/signed3", "faults/unsigned"}) {
    SCOPED_TRACE(repo);
    const bool want_allowed = absl::StrContains(repo, "signed3");
    proxy_->ClearRequests();
    std::vector<std::string> bodies;
    for (int i = 0; i < kRequests; ++i) bodies.push_back(Review(Pod(Image(repo), i), i).dump());
    std::atomic<int> next{0}, wrong{0}, errors{0};
    std::vector<std::vector<double>> latencies(kClients);
    absl::Time start = absl::Now();
    std::vector<std::thread> threads;
    for (int c = 0; c < kClients; ++c) {
      threads.emplace_back([&, c] {
        for (int i = next++; i < kRequests; i = next++) {
          Answer a = Admit(*webhook_, bodies[i]);
          latencies[c].push_back(Millis(a.took));
          errors += !a.http_ok;
          wrong += a.allowed != want_allowed;
        }
      });
    }
    for (std::thread& t : threads) t.join();
    absl::Duration took = absl::Now() - start;
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(wrong.load(), 0);
    std::vector<double> all;
    for (auto& v : latencies) all.insert(all.end(), v.begin(), v.end());
    std::sort(all.begin(), all.end());
    const int resolves =
        proxy_->Count("GET", ".*/manifests/v1") + proxy_->Count("HEAD", ".*/manifests/v1");
    const int sig_fetches = proxy_->Count("GET", ".*/manifests/sha256-.*\\.sig");
    if (want_allowed) {
      // Verified once (concurrent misses coalesced), then answered from the cache.
      EXPECT_EQ(resolves, 1);
      EXPECT_EQ(sig_fetches, 1);
    } else {
      // Denials are not cached (Kyverno's rule: a newly signed image must pass at once); only
      // concurrent misses share one verification.
      EXPECT_LT(resolves, kRequests);
      EXPECT_EQ(resolves, sig_fetches);
    }
    Figure(absl::StrCat("webhook: 1000 admissions of one ", want_allowed ? "signed" : "unsigned",
                        " image, 32 concurrent clients"),
           {{"all_answered_right", wrong.load() == 0 && errors.load() == 0},
            {"registry_requests", proxy_->Count()},
            {"tag_resolves", resolves},
            {"sig_fetches", sig_fetches},
            {"ms_total", Millis(took)},
            {"p50_ms", all[all.size() / 2]},
            {"p99_ms", all[all.size() * 99 / 100]},
            {"max_ms", all.back()}});
  }
}

TEST_F(WebhookFaultsTest, MalformedAdmissionReviewsNeverAdmitAndTheProcessStaysUp) {
  const std::string unsigned_image = Image("faults/unsigned");
  json good = Review(Pod(unsigned_image, 1), 1);
  std::vector<std::pair<std::string, std::string>> bodies;  // name, body
  auto add = [&](const std::string& name, const std::string& body) {
    bodies.push_back({name, body});
  };
  add("empty", "");
  add("not JSON", "hello");
  add("truncated", good.dump().substr(0, 120));
  add("array", "[]");
  add("empty object", "{}");
  add("nesting 100k deep", std::string(100000, '[') + std::string(100000, ']'));
  add("5 MiB body", std::string(5 << 20, ' ') + good.dump());
  add("NUL inside", std::string("{\"apiVersion\":\"admission.k8s.io/v1\"\0}", 38));
  json j = good;
  j["apiVersion"] = "admission.k8s.io/v1beta1";
  add("v1beta1", j.dump());
  j = good;
  j["kind"] = "Pod";
  add("wrong kind", j.dump());
  j = good;
  j.erase("request");
  add("no request", j.dump());
  j = good;
  j["request"].erase("uid");
  add("no uid", j.dump());
  j = good;
  j["request"]["uid"] = 42;
  add("uid not a string", j.dump());
  j = good;
  j["request"]["object"] = "a string";
  add("object a string", j.dump());
  j = good;
  j["request"]["object"]["spec"]["containers"] = {{"name", "app"}, {"image", unsigned_image}};
  add("containers an object", j.dump());
  j = good;
  j["request"]["object"]["spec"]["containers"][0]["image"] = 7;
  add("image a number", j.dump());
  j = good;
  j["request"]["object"]["spec"]["containers"][0]["image"] = unsigned_image + "\r\nX: y";
  add("image with CRLF", j.dump());
  j = good;
  j["request"]["operation"] = "PATCH";
  add("unknown operation", j.dump());
  j = good;
  j["request"]["operation"] = "UPDATE";
  j["request"]["oldObject"] = "not an object";
  add("UPDATE with a broken oldObject", j.dump());
  j = good;
  j["request"]["object"]["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  j["request"]["operation"] = "UPDATE";
  j["request"]["oldObject"] = Pod(Image("faults/signed"), 1);
  add("terminating Pod swapping in the unsigned image", j.dump());
  // Duplicate keys, the unsigned image last: Go's decoder (the API server's) keeps the last.
  std::string dup = good.dump();
  size_t at = dup.find("\"image\":");
  dup.insert(at, "\"image\":\"" + Image("faults/signed") + "\",");
  add("duplicate image keys, unsigned last", dup);

  int http_errors = 0, denials = 0;
  for (const auto& [name, body] : bodies) {
    SCOPED_TRACE(name);
    Answer a = Admit(*webhook_, body);
    if (a.http_ok) {
      ++denials;
      EXPECT_FALSE(a.allowed) << a.message;
    } else {
      ++http_errors;
      EXPECT_THAT(a.message, HasSubstr("HTTP")) << a.message;
    }
  }
  // With the signed image last, the webhook sees what the API server would store: the signed
  // image, admitted and pinned (a review from a real API server never has duplicate keys: it
  // encodes the object it decoded).
  std::string signed_last = good.dump();
  at = signed_last.find("\"image\":");
  signed_last.insert(at + signed_last.substr(at).find(',') + 1,
                     "\"image\":\"" + Image("faults/signed") + "\",");
  absl::StatusOr<std::string> reply = webhook_->Post("/mutate", signed_last);
  ASSERT_OK(reply.status());
  json r = json::parse(*reply);
  EXPECT_EQ(r["response"]["allowed"], true);
  ASSERT_TRUE(r["response"]["patch"].is_string());
  absl::StatusOr<std::string> patch = Base64Decode(r["response"]["patch"].get<std::string>());
  ASSERT_OK(patch.status());
  EXPECT_THAT(*patch, HasSubstr("faults/signed:v1@sha256:"));
  EXPECT_THAT(*patch, ::testing::Not(HasSubstr("faults/unsigned")));
  // Content types other than JSON are refused (415) too.
  absl::StatusOr<std::string> text = webhook_->Post("/mutate", good.dump(), "text/plain");
  EXPECT_FALSE(text.ok());
  // Still up, and still right.
  EXPECT_OK(webhook_->Get("/healthz").status());
  EXPECT_FALSE(Admit(*webhook_, good.dump()).allowed);
  EXPECT_TRUE(Admit(*webhook_, Review(Pod(Image("faults/signed"), 2), 2).dump()).allowed);
  Figure("webhook: malformed AdmissionReviews", {{"reviews", bodies.size()},
                                                 {"http_errors", http_errors},
                                                 {"denied", denials},
                                                 {"admitted", 0}});
}

}  // namespace
}  // namespace hallmark::tests::faults
