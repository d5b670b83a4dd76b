// Fuzz target for AdmissionReview handling (the webhook's untrusted input): any body gets a
// 200/400/413/415 reply; a 200 reply is an AdmissionReview whose response carries the request's
// uid and a boolean `allowed`; a patch, when present, is base64 of a JSON Patch that applies to
// the request's object. Evaluated against a verifyImages policy with an in-memory registry.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "base/encoding.h"
#include "nlohmann/json.hpp"
#include "oci/content_digest.h"
#include "verifier/policy/engine.h"
#include "verifier/policy/policy.h"
#include "verifier/policy/testing/fake_sources.h"
#include "verifier/webhook/handler.h"

namespace {

using namespace hallmark::verifier;  // NOLINT
using nlohmann::json;

constexpr char kPolicy[] = R"({"apiVersion":"kyverno.io/v1","kind":"ClusterPolicy",
  "metadata":{"name":"fuzz"},"spec":{"validationFailureAction":"Enforce","rules":[{"name":"check",
  "match":{"any":[{"resources":{"kinds":["Pod"]}}]},
  "verifyImages":[{"imageReferences":["*"],"skipImageReferences":["ghcr.io/trusted/*"],
   "attestors":[{"entries":[{"keys":{"publicKeys":"-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEBOiqYumsujclXOl4CGGdW46tRjs4\n2oi8XEki9rNijnEekF6egMrTGZaHmbCTyz2B4VzdRZDD0/7TO4mHleqBDw==\n-----END PUBLIC KEY-----",
   "rekor":{"ignoreTlog":true}}}]}]}]}]}})";

struct World {
  World() {
    policy::Policy p = *policy::ParsePolicy(json::parse(kPolicy));
    store.Set("fuzz", {p});
    source.SetTag("registry.example:5000/demo:v1", {hallmark::oci::Sha256Of("demo")});
    policy::EngineOptions eo;
    eo.images = &source;
    engine = std::make_unique<policy::Engine>(eo);
    webhook::HandlerOptions ho;
    ho.workers = 2;
    handler = std::make_unique<webhook::AdmissionHandler>(&store, engine.get(), &metrics, ho);
  }
  policy::testing::FakeImageSource source;
  webhook::PolicyStore store;
  webhook::Metrics metrics;
  std::unique_ptr<policy::Engine> engine;
  std::unique_ptr<webhook::AdmissionHandler> handler;
};

void Check(const webhook::HttpReply& reply, const std::string& body) {
  if (reply.status == 400 || reply.status == 413 || reply.status == 415) return;
  if (reply.status != 200) std::abort();
  json out = json::parse(reply.body, nullptr, false);
  json in = json::parse(body, nullptr, false);
  if (out.is_discarded() || in.is_discarded()) std::abort();
  const json& response = out["response"];
  if (response["uid"] != in["request"]["uid"] || !response["allowed"].is_boolean()) std::abort();
  if (response.contains("patch")) {
    auto decoded = hallmark::Base64Decode(response["patch"].get<std::string>());
    if (!decoded.ok()) std::abort();
    json patch = json::parse(*decoded, nullptr, false);
    if (!patch.is_array()) std::abort();
    try {
      (void)in["request"]["object"].patch(patch);
    } catch (const std::exception&) {
      std::abort();
    }
  }
  if (!response["allowed"].get<bool>() && !response["status"]["message"].is_string()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* world = new World();
  std::string body(reinterpret_cast<const char*>(data), size);
  for (webhook::Mode mode : {webhook::Mode::kMutate, webhook::Mode::kValidate}) {
    Check(world->handler->Handle(mode, "application/json", body), body);
  }
  return 0;
}
