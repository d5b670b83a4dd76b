#include "base/testing/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

extern char** environ;

namespace hallmark::testing {
namespace {

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::vector<std::string> BuildEnv(const CommandOptions& options) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    absl::string_view kv(*e);
    size_t eq = kv.find('=');
    if (eq == absl::string_view::npos) continue;
    env[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
  }
  for (const auto& name : options.unset_env) env.erase(name);
  for (const auto& [k, v] : options.env) env[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(absl::StrCat(k, "=", v));
  return out;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Forks and execs; in the child, `setup` arranges file descriptors. Returns the pid.
template <typename Setup>
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, const CommandOptions& options,
                            Setup setup) {
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");
  std::vector<std::string> args = argv;
  std::vector<std::string> env = BuildEnv(options);
  std::vector<char*> cargs = CStrings(args);
  std::vector<char*> cenv = CStrings(env);
  pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    setup();
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) ::_exit(126);
    ::execvpe(cargs[0], cargs.data(), cenv.data());
    ::_exit(127);
  }
  return pid;
}

}  // namespace

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         const CommandOptions& options) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0 ||
      ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError("pipe failed");
  }
  auto pid = Spawn(argv, options, [&] {
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
  });
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (!pid.ok()) {
    ::close(in_pipe[1]);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return pid.status();
  }
  ::signal(SIGPIPE, SIG_IGN);
  CommandResult result;
  size_t in_off = 0;
  int in_fd = in_pipe[1];
  if (options.stdin_data.empty()) {
    ::close(in_fd);
    in_fd = -1;
  } else {
    ::fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  int out_fd = out_pipe[0], err_fd = err_pipe[0];
  absl::Time deadline = absl::Now() + options.timeout;
  bool killed = false;
  while (out_fd >= 0 || err_fd >= 0) {
    struct pollfd fds[3];
    int n = 0;
    int idx_in = -1, idx_out = -1, idx_err = -1;
    if (in_fd >= 0) { fds[n] = {in_fd, POLLOUT, 0}; idx_in = n++; }
    if (out_fd >= 0) { fds[n] = {out_fd, POLLIN, 0}; idx_out = n++; }
    if (err_fd >= 0) { fds[n] = {err_fd, POLLIN, 0}; idx_err = n++; }
    int wait_ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (wait_ms <= 0) {
      if (!killed) ::kill(*pid, SIGKILL);
      killed = true;
      wait_ms = 1000;
    }
    int rc = ::poll(fds, n, wait_ms);
    if (rc < 0 && errno != EINTR) break;
    if (rc <= 0) continue;
    if (idx_in >= 0 && (fds[idx_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = ::write(in_fd, options.stdin_data.data() + in_off,
                          options.stdin_data.size() - in_off);
      if (w > 0) in_off += static_cast<size_t>(w);
      if (w < 0 || in_off == options.stdin_data.size()) {
        ::close(in_fd);
        in_fd = -1;
      }
    }
    auto drain = [](int& fd, std::string& sink) {
      char buf[65536];
      ssize_t r = ::read(fd, buf, sizeof(buf));
      if (r > 0) {
        sink.append(buf, static_cast<size_t>(r));
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        ::close(fd);
        fd = -1;
      }
    };
    if (idx_out >= 0 && (fds[idx_out].revents & (POLLIN | POLLHUP | POLLERR))) {
      drain(out_fd, result.out);
    }
    if (idx_err >= 0 && (fds[idx_err].revents & (POLLIN | POLLHUP | POLLERR))) {
      drain(err_fd, result.err);
    }
  }
  if (in_fd >= 0) ::close(in_fd);
  int status = 0;
  while (::waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = DecodeWaitStatus(status);
  if (result.exit_code == 127 && result.err.empty()) {
    result.err = absl::StrCat("could not execute ", argv[0]);
  }
  return result;
}

absl::StatusOr<std::unique_ptr<BackgroundProcess>> BackgroundProcess::Start(
    const std::vector<std::string>& argv, const std::string& log_path,
    const CommandOptions& options) {
  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) return absl::InternalError(absl::StrCat("open ", log_path));
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  auto pid = Spawn(argv, options, [&] {
    ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::setpgid(0, 0);
  });
  ::close(log_fd);
  ::close(null_fd);
  if (!pid.ok()) return pid.status();
  return std::unique_ptr<BackgroundProcess>(new BackgroundProcess(*pid, log_path));
}

BackgroundProcess::~BackgroundProcess() { Stop(); }

std::string BackgroundProcess::Log() const {
  std::ifstream in(log_path_, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool BackgroundProcess::Running() {
  if (reaped_) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    exit_code_ = DecodeWaitStatus(status);
    return false;
  }
  return true;
}

absl::Status BackgroundProcess::WaitForOutput(absl::string_view needle, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    std::string log = Log();
    if (absl::StrContains(log, needle)) return absl::OkStatus();
    if (!Running()) {
      return absl::AbortedError(absl::StrCat("process exited (", exit_code_, ") before printing '",
                                             needle, "'; output:\n",
                                             log.substr(log.size() > 4000 ? log.size() - 4000 : 0)));
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat("no '", needle, "' after ",
                                                      absl::FormatDuration(timeout), "; output:\n",
                                                      log.substr(log.size() > 4000 ? log.size() - 4000 : 0)));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

void BackgroundProcess::Signal(int sig) {
  if (!reaped_) ::kill(pid_, sig);
}

int BackgroundProcess::Stop(absl::Duration grace) {
  if (reaped_) return exit_code_;
  ::kill(pid_, SIGCONT);
  ::kill(pid_, SIGTERM);
  absl::Time deadline = absl::Now() + grace;
  while (Running()) {
    if (absl::Now() > deadline) {
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      reaped_ = true;
      exit_code_ = DecodeWaitStatus(status);
      break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return exit_code_;
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

}  // namespace hallmark::testing
