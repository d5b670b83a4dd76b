// File: tests/apiserver/testing/apiserver_process.h
//
// ApiserverProcess: runs the real hallmark-apiserver binary for an integration test (a data
// dependency: "//tests/apiserver:hallmark-apiserver"), on 127.0.0.1 with a free port, in a
// scratch folder under TEST_TMPDIR, and always stops it.
//
//   ASSERT_OK_AND_ASSIGN(auto api, ApiserverProcess::Start({"--token", "t"}));
//   kubectl(... "--server", api->url() ...);
//   api->Knob("POST", "/__hallmark/compact", "");
#ifndef HALLMARK_TESTS_APISERVER_TESTING_APISERVER_PROCESS_H_
#define HALLMARK_TESTS_APISERVER_TESTING_APISERVER_PROCESS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/testing/process.h"

namespace hallmark::tests::apiserver::testing {

class ApiserverProcess {
 public:
  // Start runs the binary with `--listen 127.0.0.1:0` plus `args` and waits (20 s at most) for
  // its "listening on" line. `dir` defaults to a fresh TempDir().
  static absl::StatusOr<std::unique_ptr<ApiserverProcess>> Start(
      const std::vector<std::string>& args, std::string dir = "");
  ~ApiserverProcess();

  const std::string& url() const { return url_; }  // "http(s)://127.0.0.1:PORT"
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }  // scratch folder (logs live here)
  std::string Log() const { return process_->Log(); }
  ::hallmark::testing::BackgroundProcess* process() { return process_.get(); }

  // Knob sends one request to a /__hallmark/ path (plain HTTP or, for an https server, without
  // verifying the certificate) and returns the response body; kUnavailable if it fails.
  absl::StatusOr<std::string> Knob(const std::string& method, const std::string& path,
                                   const std::string& body) const;

  // WriteKubeconfig writes a kubeconfig for this server to `path`, with an optional bearer
  // token and CA file (empty: none).
  void WriteKubeconfig(const std::string& path, const std::string& token = "",
                       const std::string& ca_file = "") const;

  // Stop sends SIGTERM and returns the exit code.
  int Stop();
  // Restart: Stop (a server with --data writes its store), then the same binary with the same
  // arguments on the same port, so clients' kubeconfigs stay valid; waits for its "listening on"
  // line. Its output goes to a new log file (Log() shows the new process). kUnavailable if it
  // does not come up (e.g. the port was taken meanwhile).
  absl::Status Restart();

 private:
  ApiserverProcess() = default;
  absl::Status Launch(const std::string& listen);

  std::vector<std::string> args_;
  int restarts_ = 0;
  std::unique_ptr<::hallmark::testing::BackgroundProcess> process_;
  std::string url_;
  int port_ = 0;
  std::string dir_;
};

}  // namespace hallmark::tests::apiserver::testing

#endif  // HALLMARK_TESTS_APISERVER_TESTING_APISERVER_PROCESS_H_
