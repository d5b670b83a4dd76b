#include "crypto/internal/pem.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::crypto::internal {
namespace {

using ::hallmark::testing::StatusIs;

TEST(PemTest, DecodesLikeGo) {
  std::optional<PemBlock> b = DecodePem(
      "junk before\n-----BEGIN THING-----\r\naGVs\r\nbG8=\r\n-----END THING-----\r\nafter");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->type, "THING");
  EXPECT_EQ(b->bytes.InsecureView(), "hello");
  EXPECT_EQ(b->header_count, 0u);
}

TEST(PemTest, RestPointsAfterTheEndLine) {
  absl::string_view rest;
  std::optional<PemBlock> b = DecodePem(
      "-----BEGIN A-----\nYQ==\n-----END A-----\n-----BEGIN B-----\nYg==\n-----END B-----\n",
      &rest);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->bytes.InsecureView(), "a");
  EXPECT_EQ(rest, "-----BEGIN B-----\nYg==\n-----END B-----\n");
}

TEST(PemTest, BadBlocksAreSkipped) {
  // Mismatched END type, bad base64, text on the END line: each skipped, the good one found.
  const std::string text =
      "-----BEGIN A-----\nYQ==\n-----END B-----\n"
      "-----BEGIN C-----\n!!!!\n-----END C-----\n"
      "-----BEGIN D-----\nYQ==\n-----END D----- trailing\n"
      "-----BEGIN E-----\nZQ==\n-----END E-----\n";
  std::optional<PemBlock> b = DecodePem(text);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->type, "E");
  EXPECT_EQ(b->bytes.InsecureView(), "e");
}

TEST(PemTest, NoBlock) {
  EXPECT_FALSE(DecodePem("").has_value());
  EXPECT_FALSE(DecodePem("-----BEGIN A-----\nYQ==\n").has_value());
  EXPECT_FALSE(DecodePem("-----BEGIN A----\nYQ==\n-----END A----\n").has_value());
  // Non-canonical base64 (Go's strict decoder refuses it too).
  EXPECT_FALSE(DecodePem("-----BEGIN A-----\nYR==\n-----END A-----\n").has_value());
}

TEST(PemTest, Headers) {
  std::optional<PemBlock> b = DecodePem(
      "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n"
      "YQ==\n-----END RSA PRIVATE KEY-----\n");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->header_count, 2u);
  EXPECT_EQ(b->bytes.InsecureView(), "a");
}

TEST(PemTest, DecodeAllAndLimit) {
  std::string text;
  for (int i = 0; i < 5; ++i) text += "-----BEGIN K-----\nYQ==\n-----END K-----\n";
  ASSERT_OK_AND_ASSIGN(std::vector<PemBlock> blocks, DecodeAllPem(text, 5));
  EXPECT_EQ(blocks.size(), 5u);
  EXPECT_THAT(DecodeAllPem(text, 4), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(blocks, DecodeAllPem("none", 4));
  EXPECT_TRUE(blocks.empty());
}

TEST(PemTest, EncodeUsesGoLayout) {
  std::string bytes(100, 'x');
  std::string pem = EncodePem("PUBLIC KEY", bytes);
  // 100 bytes -> 136 base64 characters -> lines of 64, 64, 8.
  std::vector<std::string> lines = absl::StrSplit(pem, '\n');
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0], "-----BEGIN PUBLIC KEY-----");
  EXPECT_EQ(lines[1].size(), 64u);
  EXPECT_EQ(lines[2].size(), 64u);
  EXPECT_EQ(lines[3].size(), 8u);
  EXPECT_EQ(lines[4], "-----END PUBLIC KEY-----");
  EXPECT_EQ(lines[5], "");
  std::optional<PemBlock> back = DecodePem(pem);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->bytes.InsecureView(), bytes);
}

}  // namespace
}  // namespace hallmark::crypto::internal
