// File: tests/apiserver/admission_hook.h
//
// The seam between the API engine and admission control (webhooks): the engine calls Mutate
// before it fills in system fields and Validate just before it stores, as kube-apiserver runs
// mutating then validating admission.
#ifndef HALLMARK_TESTS_APISERVER_ADMISSION_HOOK_H_
#define HALLMARK_TESTS_APISERVER_ADMISSION_HOOK_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "tests/apiserver/registry.h"

namespace hallmark::tests::apiserver {

// UserInfo: who made the request (from the bearer token or client certificate).
struct UserInfo {
  std::string username;
  std::string uid;
  std::vector<std::string> groups;
};

struct AdmissionRequest {
  const ResourceInfo* resource = nullptr;  // as requested (group/version/resource)
  std::string subresource;                 // "" or "status"
  std::string operation;                   // CREATE, UPDATE, DELETE
  std::string ns;
  std::string name;
  const nlohmann::json* old_object = nullptr;  // UPDATE, DELETE
  UserInfo user;
  bool dry_run = false;
  nlohmann::json options;  // CreateOptions / UpdateOptions / DeleteOptions
};

class AdmissionHook {
 public:
  virtual ~AdmissionHook() = default;
  // Mutate may change `*object` (null for DELETE). A non-OK status (carrying an ApiError) denies
  // the request with that error.
  virtual absl::Status Mutate(const AdmissionRequest& request, nlohmann::json* object) = 0;
  // Validate sees the final object; it may only allow or deny.
  virtual absl::Status Validate(const AdmissionRequest& request, const nlohmann::json* object) = 0;
};

}  // namespace hallmark::tests::apiserver

#endif  // HALLMARK_TESTS_APISERVER_ADMISSION_HOOK_H_
