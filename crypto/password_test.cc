#include "crypto/password.h"

#include <pty.h>
#include <signal.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::crypto {
namespace {

using ::hallmark::testing::StatusIs;

// A pipe whose write end is filled with `data` and closed.
int PipeWith(const std::string& data) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  std::thread([fd = fds[1], data] {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::write(fd, data.data() + off, data.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    ::close(fd);
  }).detach();
  return fds[0];
}

TEST(ReadPasswordTest, EnvironmentWinsEvenWhenEmpty) {
  // Standard input is not touched (an invalid fd would fail any read).
  ASSERT_OK_AND_ASSIGN(SecretData pw, ReadPasswordFrom("", -1, -1, PasswordPurpose::kCreate));
  EXPECT_TRUE(pw.empty());
  ASSERT_OK_AND_ASSIGN(pw, ReadPasswordFrom("p\n", -1, -1, PasswordPurpose::kUse));
  EXPECT_EQ(pw.InsecureView(), "p\n");
}

TEST(ReadPasswordTest, PipeIsReadWholeAndVerbatim) {
  int in = PipeWith("line one\nline two\r\n");
  ASSERT_OK_AND_ASSIGN(SecretData pw, ReadPasswordFrom(nullptr, in, -1, PasswordPurpose::kCreate));
  EXPECT_EQ(pw.InsecureView(), "line one\nline two\r\n");
  ::close(in);
}

TEST(ReadPasswordTest, PipeIsBounded) {
  ::signal(SIGPIPE, SIG_IGN);  // the writer may outlive the read end
  int in = PipeWith(std::string(kMaxPasswordBytes + 1, 'x'));
  EXPECT_THAT(ReadPasswordFrom(nullptr, in, -1, PasswordPurpose::kUse),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("longer than")));
  ::close(in);
}

// A terminal: prompts go to `prompt_fd`, lines are read without their line end.
class TerminalTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(::openpty(&master_, &slave_, nullptr, nullptr, nullptr), 0); }
  void TearDown() override {
    ::close(master_);
    ::close(slave_);
  }
  void Type(const std::string& text) {
    ASSERT_EQ(::write(master_, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  std::string Prompts() {
    std::string out;
    char buf[256];
    ssize_t n = ::read(prompts_[0], buf, sizeof(buf));
    if (n > 0) out.assign(buf, static_cast<size_t>(n));
    return out;
  }
  int master_ = -1;
  int slave_ = -1;
  int prompts_[2] = {-1, -1};
};

TEST_F(TerminalTest, UseAsksOnce) {
  ASSERT_EQ(::pipe(prompts_), 0);
  Type("secret\r\n");
  ASSERT_OK_AND_ASSIGN(SecretData pw,
                       ReadPasswordFrom(nullptr, slave_, prompts_[1], PasswordPurpose::kUse));
  EXPECT_EQ(pw.InsecureView(), "secret");
  ::close(prompts_[1]);
  EXPECT_EQ(Prompts(), "Enter password for private key: \n");
  ::close(prompts_[0]);
}

TEST_F(TerminalTest, CreateAsksTwiceAndCompares) {
  ASSERT_EQ(::pipe(prompts_), 0);
  Type("same\nsame\n");
  ASSERT_OK_AND_ASSIGN(SecretData pw,
                       ReadPasswordFrom(nullptr, slave_, prompts_[1], PasswordPurpose::kCreate));
  EXPECT_EQ(pw.InsecureView(), "same");
  ::close(prompts_[1]);
  EXPECT_EQ(Prompts(),
            "Enter password for private key: \nEnter password for private key again: \n");
  ::close(prompts_[0]);
}

TEST_F(TerminalTest, MismatchFails) {
  ASSERT_EQ(::pipe(prompts_), 0);
  Type("one\ntwo\n");
  EXPECT_THAT(ReadPasswordFrom(nullptr, slave_, prompts_[1], PasswordPurpose::kCreate),
              StatusIs(absl::StatusCode::kInvalidArgument, "passwords do not match"));
  ::close(prompts_[1]);
  ::close(prompts_[0]);
}

}  // namespace
}  // namespace hallmark::crypto
