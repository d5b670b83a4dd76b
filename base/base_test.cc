#include <sys/stat.h>

#include "base/clock.h"
#include "base/file.h"
#include "base/log.h"
#include "base/secret_data.h"
#include "base/ssl_ptr.h"
#include "base/status_macros.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "openssl/err.h"
#include "openssl/evp.h"
#include "openssl/pem.h"

namespace hallmark {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::IsOkAndHolds;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;

absl::StatusOr<int> Half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::StatusOr<int> Quarter(int x) {
  HM_ASSIGN_OR_RETURN(int h, Half(x));
  HM_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

absl::Status CheckEven(int x) {
  HM_RETURN_IF_ERROR(Half(x).status());
  return absl::OkStatus();
}

TEST(StatusMacrosTest, PropagateErrorsAndValues) {
  EXPECT_THAT(Quarter(8), IsOkAndHolds(2));
  EXPECT_THAT(Quarter(6), StatusIs(absl::StatusCode::kInvalidArgument, "odd"));
  EXPECT_THAT(CheckEven(4), IsOk());
  EXPECT_THAT(CheckEven(3), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SecretDataTest, ComparesAndViews) {
  SecretData a("hunter2"), b("hunter2"), c("hunter3");
  EXPECT_TRUE(a == b);
  EXPECT_TRUE(a != c);
  EXPECT_EQ(a.InsecureView(), "hunter2");
  SecretData moved = std::move(a);
  EXPECT_EQ(moved.size(), 7u);
}

TEST(SslErrorTest, DrainsTheQueueIntoTheMessage) {
  SslPtr<BIO> bio = NewMemBio("not a key");
  SslPtr<EVP_PKEY> key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  ASSERT_EQ(key, nullptr);
  absl::Status status = SslError("reading public key", absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reading public key")));
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(FileTest, AtomicWriteSetsModeAndReadIsBounded) {
  std::string dir = testing::TempDir();
  std::string path = dir + "/key";
  ASSERT_OK(WriteFileAtomic(path, "secret bytes", 0600));
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_THAT(ReadFile(path, 100), IsOkAndHolds(std::string("secret bytes")));
  EXPECT_THAT(ReadFile(path, 5), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
  EXPECT_THAT(ReadFile(dir + "/absent", 5), StatusIs(absl::StatusCode::kNotFound));
}

TEST(FakeClockTest, AdvancesOnlyWhenTold) {
  FakeClock clock;
  absl::Time t0 = clock.Now();
  clock.SleepFor(absl::Seconds(3));
  EXPECT_EQ(clock.Now() - t0, absl::Seconds(3));
}

TEST(LogTest, JsonLinesEscapeAndCarryFields) {
  std::string line = log::FormatLine(log::Format::kJson, log::Level::kWarn, "bad \"input\"\n",
                                     {{"run", "ns/a"}, {"bytes", std::string("\xff", 1)}});
  auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["level"], "warn");
  EXPECT_EQ(parsed["msg"], "bad \"input\"\n");
  EXPECT_EQ(parsed["run"], "ns/a");
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(ProcessTest, RunsCommandsWithStdinAndEnv) {
  testing::CommandOptions options;
  options.stdin_data = "abc";
  options.env["HM_TEST_VAR"] = "xyz";
  ASSERT_OK_AND_ASSIGN(auto result,
                       testing::RunCommand({"/bin/sh", "-c", "cat; echo $HM_TEST_VAR; exit 3"},
                                           options));
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.out, "abcxyz\n");
}

TEST(ProcessTest, BackgroundProcessIsStopped) {
  std::string log = testing::TempDir() + "/log";
  ASSERT_OK_AND_ASSIGN(auto proc, testing::BackgroundProcess::Start(
                                      {"/bin/sh", "-c", "echo ready; exec sleep 100"}, log));
  ASSERT_OK(proc->WaitForOutput("ready", absl::Seconds(10)));
  EXPECT_TRUE(proc->Running());
  EXPECT_EQ(proc->Stop(), 128 + SIGTERM);
  EXPECT_GT(testing::FreePort(), 0);
}

TEST(FixturesTest, SharedFixturesAreReachable) {
  EXPECT_THAT(testing::ReadFixture("cosign/README.md"), HasSubstr("cosign"));
}

}  // namespace
}  // namespace hallmark
