// File: base/testing/process.h
//
// Running real programs from tests: one-shot commands (openssl, python3, kubectl, our own
// binaries) and background servers (docker-registry, hallmark-apiserver) that are always stopped.
#ifndef HALLMARK_BASE_TESTING_PROCESS_H_
#define HALLMARK_BASE_TESTING_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hallmark::testing {

struct CommandResult {
  int exit_code = -1;  // exit status, or 128 + signal number
  std::string out;     // stdout
  std::string err;     // stderr
};

struct CommandOptions {
  std::string stdin_data;                   // written to the child's stdin, then closed
  std::map<std::string, std::string> env;   // added to (or replacing in) the inherited environment
  std::vector<std::string> unset_env;       // removed from the inherited environment
  std::string cwd;                          // empty: inherit
  absl::Duration timeout = absl::Seconds(60);  // SIGKILL after this; exit_code 128+9
};

// RunCommand runs argv[0] (a path, or a name looked up in PATH) to completion. Errors only when
// it cannot be started; a non-zero exit is reported in the result.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         const CommandOptions& options = {});

// BackgroundProcess: a child whose stdout+stderr go to `log_path`. Stopped (SIGTERM, then SIGKILL
// after 5 s) by Stop() or the destructor.
class BackgroundProcess {
 public:
  static absl::StatusOr<std::unique_ptr<BackgroundProcess>> Start(
      const std::vector<std::string>& argv, const std::string& log_path,
      const CommandOptions& options = {});
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  // WaitForOutput polls the log until it contains `needle`; kDeadlineExceeded after `timeout`,
  // kAborted if the process exited first (the message holds the log's tail).
  absl::Status WaitForOutput(absl::string_view needle, absl::Duration timeout);
  // Log: everything the process printed so far.
  std::string Log() const;
  // Signal sends `sig` (e.g. SIGKILL, SIGSTOP).
  void Signal(int sig);
  // Stop ends the process and returns its exit code (128 + signal if killed).
  int Stop(absl::Duration grace = absl::Seconds(5));
  bool Running();
  pid_t pid() const { return pid_; }

 private:
  BackgroundProcess(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  pid_t pid_;
  std::string log_path_;
  bool reaped_ = false;
  int exit_code_ = -1;
};

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago (bind to 0, then close).
int FreePort();

}  // namespace hallmark::testing

#endif  // HALLMARK_BASE_TESTING_PROCESS_H_
