#include "crypto/password.h"

#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace hallmark::crypto {
namespace {

constexpr absl::string_view kPrompt = "Enter password for private key: ";
constexpr absl::string_view kPromptAgain = "Enter password for private key again: ";

void WriteAll(int fd, absl::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a prompt that cannot be shown is not fatal
    text.remove_prefix(static_cast<size_t>(n));
  }
}

absl::Status ReadError() {
  return absl::InternalError(absl::StrCat("reading password: ", std::strerror(errno)));
}

absl::Status TooLong() {
  return absl::InvalidArgumentError(
      absl::StrCat("password longer than ", kMaxPasswordBytes, " bytes"));
}

// All of `fd` until EOF.
absl::StatusOr<SecretData> ReadAll(int fd) {
  SecretData out;
  size_t used = 0;
  while (true) {
    if (out.size() - used < 4096) out.resize(used + 64 * 1024);
    ssize_t n = ::read(fd, out.data() + used, out.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ReadError();
    if (n == 0) break;
    used += static_cast<size_t>(n);
    if (used > kMaxPasswordBytes) return TooLong();
  }
  out.resize(used);
  return out;
}

// Restores the terminal's settings when it goes out of scope.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) != 0) return;
    struct termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ICANON;
    active_ = ::tcsetattr(fd_, TCSANOW, &quiet) == 0;
  }
  ~EchoOff() {
    if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  int fd_;
  struct termios saved_ {};
  bool active_ = false;
};

// One line from a terminal with echo off, without its "\n" (or "\r\n"), like Go's
// term.ReadPassword.
absl::StatusOr<SecretData> ReadTerminalLine(int in_fd, int prompt_fd, absl::string_view prompt) {
  SecretData line;
  {
    // Echo goes off before the prompt appears, so nothing typed after it is ever shown.
    EchoOff quiet(in_fd);
    WriteAll(prompt_fd, prompt);
    SecretData buf(kMaxPasswordBytes);
    size_t used = 0;
    while (true) {
      char c;
      ssize_t n = ::read(in_fd, &c, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ReadError();
      if (n == 0 || c == '\n') break;
      if (used == buf.size()) return TooLong();
      buf.data()[used++] = static_cast<uint8_t>(c);
    }
    if (used > 0 && buf.data()[used - 1] == '\r') --used;
    line = SecretData(absl::string_view(reinterpret_cast<const char*>(buf.data()), used));
  }
  WriteAll(prompt_fd, "\n");
  return line;
}

}  // namespace

absl::StatusOr<SecretData> ReadPasswordFrom(const char* env_value, int in_fd, int prompt_fd,
                                            PasswordPurpose purpose) {
  if (env_value != nullptr) return SecretData(env_value);
  if (::isatty(in_fd) == 1) {
    absl::StatusOr<SecretData> first = ReadTerminalLine(in_fd, prompt_fd, kPrompt);
    if (!first.ok() || purpose == PasswordPurpose::kUse) return first;
    absl::StatusOr<SecretData> second = ReadTerminalLine(in_fd, prompt_fd, kPromptAgain);
    if (!second.ok()) return second.status();
    if (*first != *second) return absl::InvalidArgumentError("passwords do not match");
    return first;
  }
  return ReadAll(in_fd);
}

bool PasswordReadsStdin() {
  return std::getenv(kPasswordEnv) == nullptr && ::isatty(STDIN_FILENO) != 1;
}

absl::StatusOr<SecretData> ReadPassword(PasswordPurpose purpose) {
  return ReadPasswordFrom(std::getenv(kPasswordEnv), STDIN_FILENO, STDERR_FILENO, purpose);
}

}  // namespace hallmark::crypto
