#include "tests/apiserver/request_log.h"

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tests/apiserver/json_util.h"

namespace hallmark::tests::apiserver {

absl::StatusOr<std::unique_ptr<RequestLog>> RequestLog::Open(const std::string& path,
                                                             size_t max_entries) {
  std::FILE* file = nullptr;
  if (!path.empty()) {
    file = std::fopen(path.c_str(), "a");
    if (file == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot open --request-log ", path, ": ", std::strerror(errno)));
    }
  }
  return std::unique_ptr<RequestLog>(new RequestLog(file, max_entries));
}

RequestLog::~RequestLog() {
  if (file_ != nullptr) std::fclose(file_);
}

json RequestLog::ToJson(const RequestRecord& r, uint64_t seq) {
  json j = {{"seq", seq},         {"time", r.time},
            {"method", r.method}, {"path", r.path},
            {"query", r.query},   {"userAgent", r.user_agent},
            {"status", r.status}, {"durationMs", r.duration_ms}};
  if (!r.verb.empty()) j["verb"] = r.verb;
  if (!r.resource.empty()) {
    j["apiGroup"] = r.api_group;
    j["resource"] = r.resource;
  }
  if (!r.subresource.empty()) j["subresource"] = r.subresource;
  if (!r.ns.empty()) j["namespace"] = r.ns;
  if (!r.name.empty()) j["name"] = r.name;
  if (!r.content_type.empty()) j["contentType"] = r.content_type;
  if (!r.accept.empty()) j["accept"] = r.accept;
  if (!r.body.empty()) j["body"] = r.body;
  if (!r.user.empty()) j["user"] = r.user;
  return j;
}

void RequestLog::Add(RequestRecord record) {
  absl::MutexLock lock(&mu_);
  uint64_t seq = next_seq_++;
  if (file_ != nullptr) {
    std::string line = Dump(ToJson(record, seq)) + "\n";
    std::fwrite(line.data(), 1, line.size(), file_);
    std::fflush(file_);
  }
  entries_.emplace_back(seq, std::move(record));
  while (entries_.size() > max_entries_) entries_.pop_front();
}

json RequestLog::Entries(uint64_t since) const {
  absl::MutexLock lock(&mu_);
  json list = json::array();
  for (const auto& [seq, r] : entries_) {
    if (seq >= since) list.push_back(ToJson(r, seq));
  }
  return {{"requests", std::move(list)}, {"next", next_seq_}};
}

void RequestLog::Clear() {
  absl::MutexLock lock(&mu_);
  entries_.clear();
}

}  // namespace hallmark::tests::apiserver
