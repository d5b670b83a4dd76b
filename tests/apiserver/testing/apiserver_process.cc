#include "tests/apiserver/testing/apiserver_process.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "base/testing/fixtures.h"
#include "httplib.h"

namespace hallmark::tests::apiserver::testing {

absl::StatusOr<std::unique_ptr<ApiserverProcess>> ApiserverProcess::Start(
    const std::vector<std::string>& args, std::string dir) {
  std::unique_ptr<ApiserverProcess> p(new ApiserverProcess());
  p->dir_ = dir.empty() ? ::hallmark::testing::TempDir() : std::move(dir);
  p->args_ = args;
  absl::Status s = p->Launch("127.0.0.1:0");
  if (!s.ok()) return s;
  return p;
}

absl::Status ApiserverProcess::Launch(const std::string& listen) {
  std::vector<std::string> argv = {
      ::hallmark::testing::RunfilePath("tests/apiserver/hallmark-apiserver"), "--listen", listen};
  argv.insert(argv.end(), args_.begin(), args_.end());
  std::string log = restarts_ == 0 ? dir_ + "/apiserver.log"
                                   : absl::StrCat(dir_, "/apiserver-", restarts_, ".log");
  auto process = ::hallmark::testing::BackgroundProcess::Start(argv, log);
  if (!process.ok()) return process.status();
  process_ = std::move(*process);
  absl::Status ready = process_->WaitForOutput("listening on ", absl::Seconds(20));
  if (!ready.ok()) return absl::UnavailableError(ready.message());
  for (absl::string_view line : absl::StrSplit(process_->Log(), '\n')) {
    if (!absl::StartsWith(line, "listening on ")) continue;
    url_ = std::string(line.substr(13));
    size_t colon = url_.rfind(':');
    if (colon == std::string::npos || !absl::SimpleAtoi(url_.substr(colon + 1), &port_)) {
      return absl::InternalError(absl::StrCat("cannot parse the listening line: ", line));
    }
    return absl::OkStatus();
  }
  return absl::InternalError("no listening line");
}

absl::Status ApiserverProcess::Restart() {
  process_->Stop();
  ++restarts_;
  return Launch(absl::StrCat("127.0.0.1:", port_));
}

ApiserverProcess::~ApiserverProcess() {
  if (process_ != nullptr) process_->Stop();
}

int ApiserverProcess::Stop() { return process_->Stop(); }

absl::StatusOr<std::string> ApiserverProcess::Knob(const std::string& method,
                                                   const std::string& path,
                                                   const std::string& body) const {
  std::unique_ptr<httplib::ClientImpl> client;
  if (absl::StartsWith(url_, "https://")) {
    auto ssl = std::make_unique<httplib::SSLClient>("127.0.0.1", port_);
    ssl->enable_server_certificate_verification(false);
    client = std::move(ssl);
  } else {
    client = std::make_unique<httplib::ClientImpl>("127.0.0.1", port_);
  }
  httplib::Result r = method == "GET"      ? client->Get(path.c_str())
                      : method == "DELETE" ? client->Delete(path.c_str())
                      : method == "PUT"    ? client->Put(path.c_str(), body, "application/json")
                                           : client->Post(path.c_str(), body, "application/json");
  if (!r)
    return absl::UnavailableError(
        absl::StrCat(method, " ", path, ": ", httplib::to_string(r.error())));
  if (r->status != 200) {
    return absl::UnavailableError(absl::StrCat(method, " ", path, ": ", r->status, " ", r->body));
  }
  return r->body;
}

void ApiserverProcess::WriteKubeconfig(const std::string& path, const std::string& token,
                                       const std::string& ca_file) const {
  std::string cluster = absl::StrCat("    server: ", url_, "\n");
  if (!ca_file.empty()) absl::StrAppend(&cluster, "    certificate-authority: ", ca_file, "\n");
  std::string user =
      token.empty() ? "  user: {}\n" : absl::StrCat("  user:\n    token: ", token, "\n");
  ::hallmark::testing::WriteFileOrDie(
      path,
      absl::StrCat("apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n", cluster,
                   "contexts:\n- name: local\n  context:\n    cluster: local\n    user: "
                   "me\ncurrent-context: local\nusers:\n- name: me\n",
                   user));
}

}  // namespace hallmark::tests::apiserver::testing
