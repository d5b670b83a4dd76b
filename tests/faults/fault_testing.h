// File: tests/faults/fault_testing.h
//
// What every fault test of tests/faults shares: the number of trials (HALLMARK_FAULT_TRIALS,
// default 1; scripts/faults raises it), the FIGURE lines scripts/faults collects into
// docs/reliability.md, and the invariants checked after each scenario:
//   - ExpectSignedExactlyOnce: one `.sig` and one `.att` layer, a signature that verifies with
//     `hallmark verify` and openssl, and an attestation that verifies with
//     `hallmark verify-attestation` and securesystemslib and names the image's digest;
//   - ExpectNoSignedWithoutSignatures: no run says signed=true unless its image verifies.
#ifndef HALLMARK_TESTS_FAULTS_FAULT_TESTING_H_
#define HALLMARK_TESTS_FAULTS_FAULT_TESTING_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/agent_harness.h"

namespace hallmark::tests::faults {

// Trials: HALLMARK_FAULT_TRIALS (a positive integer), else `fallback`.
int Trials(int fallback = 1);

// Figure: prints `FIGURE {"scenario": ..., <fields>}` on one line of stdout.
void Figure(const std::string& scenario, nlohmann::json fields);

double Millis(absl::Duration d);

// ImageResults: IMAGE_URL / IMAGE_DIGEST results for "<repo>@sha256:...".
nlohmann::json ImageResults(const std::string& image);

// ViaHost: `image` ("127.0.0.1:P/repo@sha256:...") with its registry replaced by `host`.
std::string ViaHost(const std::string& image, const std::string& host);

void ExpectSignedExactlyOnce(e2e::AgentHarness& h, const std::string& image);

// ExpectNoSignedWithoutSignatures: `runs` are TaskRun names, `images` their images (direct).
void ExpectNoSignedWithoutSignatures(e2e::AgentHarness& h, const std::vector<std::string>& runs,
                                     const std::vector<std::string>& images);

// Annotation: metadata.annotations[key] of an object, "" when absent.
std::string Annotation(const nlohmann::json& object, const std::string& key);

}  // namespace hallmark::tests::faults

#endif  // HALLMARK_TESTS_FAULTS_FAULT_TESTING_H_
