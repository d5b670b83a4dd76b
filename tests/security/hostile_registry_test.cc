// Security regressions against a HOSTILE registry (perf-reliability.md §6: CVE-2023-46737,
// GHSA-95pr-fxf5-86gv, GHSA-88jx-383q-w4qc, CVE-2023-42813..16) with the built `hallmark verify`
// and `hallmark webhook` as separate processes. The registry here is a cpp-httplib server that
// answers like a compromised registry would (the real docker-registry would not serve these):
//  - a `.sig` manifest with 100,000 layers (about 20 MiB) -> a bounded error, and the verifier's
//    peak RSS stays small (measured with /usr/bin/time);
//  - a layer that declares 300 bytes and then streams without end -> the read stops at the
//    declared size, the server sends at most a few MiB, RSS stays small;
//  - malformed manifests and blobs, an index where a manifest belongs, a redirect loop -> an
//    error exit (never a crash: no exit by signal), and the webhook denies each and stays up;
//  - without --insecure-ignore-tlog nothing is verified at all (no transparency log is ever
//    assumed, so a Rekor bundle can never stand in for a check: CVE-2022-36056,
//    GHSA-whqx-f9j3-ch6m), before any request.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "crypto/private_key.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "net/testing/http_test_server.h"
#include "nlohmann/json.hpp"
#include "oci/content_digest.h"
#include "oci/media_types.h"
#include "tests/e2e/webhook_harness.h"

namespace hallmark::tests::security {
namespace {

using ::hallmark::testing::CommandResult;
using ::hallmark::testing::RunCommand;
using ::hallmark::testing::RunfilePath;
using nlohmann::json;
using ::testing::HasSubstr;

// Peak RSS allowed to `hallmark verify` facing any of these registries.
constexpr long kMaxRssKb = 160 << 10;

// The image every scenario is about: `<repo>@<kImage>`.
const oci::Digest kImage = oci::Sha256Of("the image under attack");

std::string TagOf(const oci::Digest& d) { return "sha256-" + d.hex() + ".sig"; }

json Descriptor(const std::string& media_type, const std::string& content, int64_t size = -1) {
  return {{"mediaType", media_type},
          {"digest", oci::Sha256Of(content).String()},
          {"size", size >= 0 ? size : static_cast<int64_t>(content.size())}};
}

std::string SigManifest(const std::vector<json>& layers) {
  return json{{"schemaVersion", 2},
              {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
              {"config", Descriptor("application/vnd.oci.image.config.v1+json", "{}")},
              {"layers", layers}}
      .dump();
}

class HostileRegistry {
 public:
  HostileRegistry() {
    auto server = std::make_unique<httplib::Server>();
    server->Get(R"(/v2/([^/]+/[^/]+)/manifests/(.+))", [this](const httplib::Request& req,
                                                              httplib::Response& res) {
      ++requests_;
      const std::string repo = req.matches[1];
      const std::string ref = req.matches[2];
      if (ref != TagOf(kImage)) {
        res.status = 404;
        return;
      }
      res.set_header("Content-Type", "application/vnd.oci.image.manifest.v1+json");
      if (repo == "evil/many") {
        // 100,000 layers: cosign's "endless signatures" (CVE-2023-46737).
        json layer = Descriptor(std::string(oci::kCosignSimpleSigningMediaType), "x");
        res.set_content(SigManifest(std::vector<json>(100000, layer)),
                        "application/vnd.oci.image.manifest.v1+json");
      } else if (repo == "evil/endless") {
        res.set_content(SigManifest({Descriptor(std::string(oci::kCosignSimpleSigningMediaType),
                                                "a small payload", 300)}),
                        "application/vnd.oci.image.manifest.v1+json");
      } else if (repo == "evil/random") {
        std::string junk;
        for (int i = 0; i < 4096; ++i) junk.push_back(static_cast<char>((i * 7919) % 256));
        res.set_content(junk, "application/vnd.oci.image.manifest.v1+json");
      } else if (repo == "evil/types") {
        res.set_content(R"({"schemaVersion":2,"config":"no","layers":{"a":1}})",
                        "application/vnd.oci.image.manifest.v1+json");
      } else if (repo == "evil/negative") {
        res.set_content(SigManifest({Descriptor(std::string(oci::kCosignSimpleSigningMediaType),
                                                "payload", -5)}),
                        "application/vnd.oci.image.manifest.v1+json");
      } else if (repo == "evil/index") {
        res.set_content(
            json{{"schemaVersion", 2},
                 {"mediaType", "application/vnd.oci.image.index.v1+json"},
                 {"manifests",
                  json::array({Descriptor("application/vnd.oci.image.manifest.v1+json", "m")})}}
                .dump(),
            "application/vnd.oci.image.index.v1+json");
      } else if (repo == "evil/loop") {
        res.set_content(
            SigManifest({Descriptor(std::string(oci::kCosignSimpleSigningMediaType), "looped")}),
            "application/vnd.oci.image.manifest.v1+json");
      } else if (repo == "evil/mismatch") {
        // The layer's bytes do not hash to its digest.
        json layer = Descriptor(std::string(oci::kCosignSimpleSigningMediaType), "claimed");
        layer["annotations"] = {{"dev.cosignproject.cosign/signature", "AAAA"}};
        res.set_content(SigManifest({layer}), "application/vnd.oci.image.manifest.v1+json");
      } else {
        res.status = 404;
      }
    });
    server->Get(R"(/v2/([^/]+/[^/]+)/blobs/(.+))",
                [this](const httplib::Request& req, httplib::Response& res) {
                  ++requests_;
                  const std::string repo = req.matches[1];
                  if (repo == "evil/endless") {
                    // Never ends (1 GiB at most): the verifier must stop reading at the declared
                    // 300 bytes.
                    res.set_chunked_content_provider(
                        "application/octet-stream", [this](size_t offset, httplib::DataSink& sink) {
                          static const std::string chunk(64 << 10, 'z');
                          if (offset >= (1u << 30)) {
                            sink.done();
                            return true;
                          }
                          if (!sink.write(chunk.data(), chunk.size())) return false;
                          streamed_ += chunk.size();
                          return true;
                        });
                  } else if (repo == "evil/loop") {
                    res.status = 302;
                    res.set_header("Location", req.path);
                  } else {
                    res.set_content("something else entirely", "application/octet-stream");
                  }
                });
    server->Get("/v2/", [this](const httplib::Request&, httplib::Response& res) {
      ++requests_;
      res.status = 200;
    });
    auto running = net::testing::HttpTestServer::Start(std::move(server));
    EXPECT_OK(running.status());
    if (running.ok()) server_ = *std::move(running);
  }
  std::string Image(const std::string& repo) const {
    return absl::StrCat("127.0.0.1:", server_->port(), "/", repo, "@", kImage.String());
  }
  int requests() const { return requests_.load(); }
  size_t streamed() const { return streamed_.load(); }

 private:
  std::atomic<int> requests_{0};
  std::atomic<size_t> streamed_{0};
  std::unique_ptr<net::testing::HttpTestServer> server_;
};

struct Verified {
  CommandResult result;
  long max_rss_kb = -1;
};

class HostileRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::hallmark::testing::TempDir();
    ASSERT_OK_AND_ASSIGN(crypto::PrivateKey key,
                         crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256));
    pub_ = dir_ + "/cosign.pub";
    ::hallmark::testing::WriteFileOrDie(pub_, key.public_key().Pem());
    pem_ = key.public_key().Pem();
  }

  // Verify: `/usr/bin/time -f %M hallmark verify ...`; the peak RSS is time's last stderr line.
  Verified Verify(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {
        "/usr/bin/time", "-f", "maxrss_kb=%M", RunfilePath("cmd/hallmark"), "verify",
        "--key",         pub_};
    argv.insert(argv.end(), args.begin(), args.end());
    ::hallmark::testing::CommandOptions options;
    options.env["DOCKER_CONFIG"] = dir_ + "/no-docker-config";
    absl::StatusOr<CommandResult> r = RunCommand(argv, options);
    EXPECT_OK(r.status());
    Verified v;
    if (!r.ok()) return v;
    v.result = *r;
    size_t at = r->err.rfind("maxrss_kb=");
    if (at != std::string::npos) {
      absl::SimpleAtoi(absl::StripAsciiWhitespace(r->err.substr(at + 10)), &v.max_rss_kb);
      v.result.err = r->err.substr(0, at);
    }
    // /usr/bin/time reports a child killed by a signal as "Command terminated by signal N".
    if (absl::StrContains(v.result.err, "terminated by signal")) v.result.exit_code = 128;
    return v;
  }

  std::string dir_, pub_, pem_;
  HostileRegistry registry_;
};

TEST_F(HostileRegistryTest, HundredThousandLayerSignatureIsABoundedError) {
  Verified v = Verify({"--insecure-ignore-tlog", registry_.Image("evil/many")});
  EXPECT_NE(v.result.exit_code, 0);
  EXPECT_LT(v.result.exit_code, 128) << v.result.err;
  EXPECT_THAT(v.result.err, HasSubstr("limit")) << v.result.err;
  EXPECT_GT(v.max_rss_kb, 0);
  EXPECT_LT(v.max_rss_kb, kMaxRssKb);
  std::printf("FIGURE {\"scenario\":\"verify: .sig with 100000 layers\",\"max_rss_kb\":%ld}\n",
              v.max_rss_kb);
}

TEST_F(HostileRegistryTest, EndlessLayerStopsAtItsDeclaredSize) {
  Verified v = Verify({"--insecure-ignore-tlog", registry_.Image("evil/endless")});
  EXPECT_NE(v.result.exit_code, 0);
  EXPECT_LT(v.result.exit_code, 128) << v.result.err;
  EXPECT_LT(v.max_rss_kb, kMaxRssKb);
  // A few chunks may be in flight when the client hangs up; never the GiB.
  EXPECT_LT(registry_.streamed(), size_t{16} << 20);
  std::printf(
      "FIGURE {\"scenario\":\"verify: layer declared 300 B, streamed without end\","
      "\"max_rss_kb\":%ld,\"bytes_streamed\":%zu}\n",
      v.max_rss_kb, registry_.streamed());
}

TEST_F(HostileRegistryTest, MalformedResponsesAreErrorsNeverCrashes) {
  for (const char* repo :
       {"evil/random", "evil/types", "evil/negative", "evil/index", "evil/loop", "evil/mismatch"}) {
    SCOPED_TRACE(repo);
    Verified v = Verify({"--insecure-ignore-tlog", registry_.Image(repo)});
    EXPECT_NE(v.result.exit_code, 0) << v.result.out;
    EXPECT_LT(v.result.exit_code, 128) << v.result.err;
    EXPECT_THAT(v.result.err, HasSubstr("Error: ")) << v.result.err;
    EXPECT_LT(v.max_rss_kb, kMaxRssKb);
  }
}

TEST_F(HostileRegistryTest, NothingIsVerifiedWithoutATransparencyLogDecision) {
  int before = registry_.requests();
  Verified v = Verify({registry_.Image("evil/endless")});
  EXPECT_EQ(v.result.exit_code, 1);
  EXPECT_THAT(v.result.err, HasSubstr("no transparency log"));
  EXPECT_EQ(registry_.requests(), before);  // refused before any request
}

TEST_F(HostileRegistryTest, WebhookDeniesEveryHostileAnswerAndStaysUp) {
  ::hallmark::testing::WriteFileOrDie(dir_ + "/policy.yaml", e2e::KeyPolicyYaml("hostile", pem_));
  ASSERT_OK_AND_ASSIGN(e2e::WebhookTls tls, e2e::MakeWebhookTls(dir_));
  ASSERT_OK_AND_ASSIGN(auto webhook,
                       e2e::WebhookProcess::Start({"--policy", dir_ + "/policy.yaml"}, tls, dir_));
  int n = 0;
  for (const char* repo : {"evil/many", "evil/endless", "evil/random", "evil/types",
                           "evil/negative", "evil/index", "evil/loop", "evil/mismatch"}) {
    SCOPED_TRACE(repo);
    json review = {
        {"apiVersion", "admission.k8s.io/v1"},
        {"kind", "AdmissionReview"},
        {"request",
         {{"uid", absl::StrCat("0d1c1f4e-0000-4000-8000-00000000000", n++)},
          {"kind", {{"group", ""}, {"version", "v1"}, {"kind", "Pod"}}},
          {"resource", {{"group", ""}, {"version", "v1"}, {"resource", "pods"}}},
          {"namespace", "hostile"},
          {"name", "p"},
          {"operation", "CREATE"},
          {"userInfo", {{"username", "attacker"}}},
          {"object",
           {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata", {{"name", "p"}, {"namespace", "hostile"}}},
            {"spec",
             {{"containers",
               json::array({{{"name", "app"}, {"image", registry_.Image(repo)}}})}}}}}}}};
    ASSERT_OK_AND_ASSIGN(std::string reply, webhook->Post("/mutate", review.dump()));
    json r = json::parse(reply, nullptr, false);
    ASSERT_TRUE(r.is_object()) << reply;
    EXPECT_EQ(r["response"]["allowed"], false) << reply;
  }
  EXPECT_OK(webhook->Get("/healthz").status());
}

}  // namespace
}  // namespace hallmark::tests::security
