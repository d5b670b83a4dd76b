// File: tests/apiserver/faults.h
//
// Fault injection for tests of clients (knob /__hallmark/faults): fail the next N requests that
// match a path regex (and optionally an HTTP method or a Kubernetes verb) with a given code and
// Retry-After, or stall them for a while before they are handled, or make their handler throw
// (a test of the server's own last line of defence: a 500 naming the request, and a log line).
//
//   {"path": "/apis/tekton.dev/v1/.*", "verb": "patch", "code": 429, "retryAfter": 1, "count": 2}
//   {"path": "/api/v1/namespaces/x/secrets/.*", "stallSeconds": 3, "count": 1}
//   {"path": "/api/v1/namespaces", "exception": "boom"}
#ifndef HALLMARK_TESTS_APISERVER_FAULTS_H_
#define HALLMARK_TESTS_APISERVER_FAULTS_H_

#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace hallmark::tests::apiserver {

struct FaultRule {
  std::string path_pattern;  // ECMAScript regex matched against the whole path
  std::string method;        // "" = any
  std::string verb;          // "" = any
  int code = 0;              // 0 = no failure (stall only)
  int retry_after = 0;
  std::string message;
  absl::Duration stall = absl::ZeroDuration();
  std::string exception;  // "" = none; else the what() of the exception the handler throws
  int count = 1;          // requests left; < 0 = unlimited
  std::regex regex;

  // Parse: a rule from the knob's JSON body; kInvalidArgument on a bad regex or values.
  static absl::StatusOr<FaultRule> Parse(const nlohmann::json& body);
  nlohmann::json ToJson() const;
};

struct FaultAction {
  absl::Duration stall = absl::ZeroDuration();
  int code = 0;
  int retry_after = 0;
  std::string message;
  std::string exception;
};

class FaultInjector {
 public:
  void Add(FaultRule rule);
  void Clear();
  nlohmann::json List() const;
  // Take: the action for a request (the first matching rule with requests left, consumed).
  std::optional<FaultAction> Take(const std::string& method, const std::string& path,
                                  const std::string& verb);

 private:
  mutable absl::Mutex mu_;
  std::vector<FaultRule> rules_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hallmark::tests::apiserver

#endif  // HALLMARK_TESTS_APISERVER_FAULTS_H_
