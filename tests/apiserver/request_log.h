// File: tests/apiserver/request_log.h
//
// RequestLog: every API request the server answered (method, path, query, user agent, status,
// plus the Kubernetes verb/resource/namespace/name it resolved to, Content-Type, Accept and the
// body of writes), kept in memory for the /__hallmark/requests knob and optionally appended to a
// file as JSON lines. Tests of other components count API calls per run, check RBAC coverage and
// assert the exact patches a client sent with it. No Authorization header and no Secret body is
// ever recorded, so no credential lands in it.
#ifndef HALLMARK_TESTS_APISERVER_REQUEST_LOG_H_
#define HALLMARK_TESTS_APISERVER_REQUEST_LOG_H_

#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"

namespace hallmark::tests::apiserver {

struct RequestRecord {
  std::string time;  // RFC 3339 with milliseconds
  std::string method;
  std::string path;
  std::string query;  // raw query string
  std::string user_agent;
  int status = 0;
  std::string verb;  // get, list, watch, create, update, patch, delete, deletecollection
  std::string api_group;
  std::string resource;
  std::string subresource;
  std::string ns;
  std::string name;
  std::string content_type;
  std::string accept;
  std::string user;
  // body: the request body of writes (create, update, patch, delete), truncated to 16 KiB;
  // never recorded for Secrets or the knobs, so key material and tokens stay out of the log.
  std::string body;
  int64_t duration_ms = 0;
};

class RequestLog {
 public:
  // Open: `path` may be empty (memory only); the file is opened for appending.
  static absl::StatusOr<std::unique_ptr<RequestLog>> Open(const std::string& path,
                                                          size_t max_entries = 100000);
  ~RequestLog();

  void Add(RequestRecord record);
  // Entries: the records with sequence number >= `since`, as {"requests": [...], "next": N}.
  nlohmann::json Entries(uint64_t since) const;
  void Clear();

  static nlohmann::json ToJson(const RequestRecord& r, uint64_t seq);

 private:
  RequestLog(std::FILE* file, size_t max_entries) : file_(file), max_entries_(max_entries) {}
  std::FILE* file_;  // owned; may be null
  const size_t max_entries_;
  mutable absl::Mutex mu_;
  std::deque<std::pair<uint64_t, RequestRecord>> entries_ ABSL_GUARDED_BY(mu_);
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace hallmark::tests::apiserver

#endif  // HALLMARK_TESTS_APISERVER_REQUEST_LOG_H_
