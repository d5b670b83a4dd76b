#include "tests/faults/fault_testing.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "kube/resource.h"

namespace hallmark::tests::faults {

using nlohmann::json;

int Trials(int fallback) {
  const char* v = std::getenv("HALLMARK_FAULT_TRIALS");
  int n = 0;
  return v != nullptr && absl::SimpleAtoi(v, &n) && n > 0 ? n : fallback;
}

void Figure(const std::string& scenario, json fields) {
  fields["scenario"] = scenario;
  std::printf("FIGURE %s\n", fields.dump().c_str());
  std::fflush(stdout);
}

double Millis(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

json ImageResults(const std::string& image) {
  return json::array({{{"name", "IMAGE_URL"}, {"value", image.substr(0, image.find('@'))}},
                      {{"name", "IMAGE_DIGEST"}, {"value", image.substr(image.find('@') + 1)}}});
}

std::string ViaHost(const std::string& image, const std::string& host) {
  return host + image.substr(image.find('/'));
}

void ExpectSignedExactlyOnce(e2e::AgentHarness& h, const std::string& image) {
  SCOPED_TRACE(image);
  EXPECT_THAT(h.CountLayers(image, "sig"), ::hallmark::testing::IsOkAndHolds(1));
  EXPECT_THAT(h.CountLayers(image, "att"), ::hallmark::testing::IsOkAndHolds(1));
  EXPECT_OK(h.VerifyImage(image, h.key().public_path));
  absl::StatusOr<std::vector<json>> statements =
      h.VerifyAttestation(image, h.key().public_path, "slsaprovenance");
  ASSERT_OK(statements.status());
  ASSERT_EQ(statements->size(), 1u);
  EXPECT_EQ((*statements)[0]["subject"][0]["digest"]["sha256"],
            image.substr(image.find("@sha256:") + 8));
}

void ExpectNoSignedWithoutSignatures(e2e::AgentHarness& h, const std::vector<std::string>& runs,
                                     const std::vector<std::string>& images) {
  for (size_t i = 0; i < runs.size(); ++i) {
    absl::StatusOr<json> run = h.Get(kube::TaskRunsV1(), runs[i]);
    ASSERT_OK(run.status());
    if (Annotation(*run, "chains.tekton.dev/signed") != "true") continue;
    SCOPED_TRACE(runs[i]);
    EXPECT_OK(h.VerifyImage(images[i], h.key().public_path));
    EXPECT_OK(h.VerifyAttestation(images[i], h.key().public_path, "slsaprovenance").status());
  }
}

std::string Annotation(const json& object, const std::string& key) {
  if (!object.is_object() || !object.contains("metadata")) return "";
  const json& a = object["metadata"].value("annotations", json::object());
  return a.is_object() && a.contains(key) && a[key].is_string() ? a[key].get<std::string>() : "";
}

}  // namespace hallmark::tests::faults
