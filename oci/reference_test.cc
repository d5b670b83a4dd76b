#include "oci/reference.h"

#include <string>
#include <vector>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::oci {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::IsOkAndHolds;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;

const std::string kHex(64, 'a');
const std::string kHex2 = "634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8c0cb7ae4e7e6c";

struct ValidCase {
  std::string input;
  std::string registry;
  std::string repository;
  std::string tag;
  std::string digest;  // "" = none
};

class ValidReferenceTest : public ::testing::TestWithParam<ValidCase> {};

TEST_P(ValidReferenceTest, ParsesAndNormalises) {
  const ValidCase& c = GetParam();
  ASSERT_OK_AND_ASSIGN(Reference ref, Reference::Parse(c.input));
  EXPECT_EQ(ref.registry(), c.registry);
  EXPECT_EQ(ref.repository(), c.repository);
  EXPECT_EQ(ref.tag(), c.tag);
  EXPECT_EQ(ref.has_tag(), !c.tag.empty());
  if (c.digest.empty()) {
    EXPECT_FALSE(ref.has_digest());
  } else {
    ASSERT_TRUE(ref.has_digest());
    EXPECT_EQ(ref.digest()->String(), c.digest);
  }
  EXPECT_EQ(ref.Name(), c.registry + "/" + c.repository);
  // String() round-trips: parsing it gives the same reference.
  ASSERT_OK_AND_ASSIGN(Reference again, Reference::Parse(ref.String()));
  EXPECT_EQ(again, ref);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ValidReferenceTest,
    ::testing::Values(
        // Docker Hub normalisation (go-containerregistry name.ParseReference defaults).
        ValidCase{"busybox", "index.docker.io", "library/busybox", "", ""},
        ValidCase{"busybox:1.36", "index.docker.io", "library/busybox", "1.36", ""},
        ValidCase{"docker.io/busybox", "index.docker.io", "library/busybox", "", ""},
        ValidCase{"docker.io/library/busybox", "index.docker.io", "library/busybox", "", ""},
        ValidCase{"index.docker.io/busybox", "index.docker.io", "library/busybox", "", ""},
        ValidCase{"foo/bar", "index.docker.io", "foo/bar", "", ""},
        ValidCase{"docker.io/foo/bar:v1", "index.docker.io", "foo/bar", "v1", ""},
        ValidCase{"library/busybox@sha256:" + kHex, "index.docker.io", "library/busybox", "",
                  "sha256:" + kHex},
        // Other registries keep their name and path as written.
        ValidCase{"gcr.io/project/image:tag", "gcr.io", "project/image", "tag", ""},
        ValidCase{"ghcr.io/a/b/c/d", "ghcr.io", "a/b/c/d", "", ""},
        ValidCase{"localhost/demo", "localhost", "demo", "", ""},
        ValidCase{"localhost:5000/demo:v1", "localhost:5000", "demo", "v1", ""},
        ValidCase{"127.0.0.1:5000/ns/app@sha256:" + kHex2, "127.0.0.1:5000", "ns/app", "",
                  "sha256:" + kHex2},
        ValidCase{"[::1]:5000/demo:v1", "[::1]:5000", "demo", "v1", ""},
        ValidCase{"[2001:db8::1]/demo", "[2001:db8::1]", "demo", "", ""},
        ValidCase{"Registry.Example.COM/app", "Registry.Example.COM", "app", "", ""},
        ValidCase{"my-registry.example.com:443/a_b/c.d/e__f/g-h/i---j",
                  "my-registry.example.com:443", "a_b/c.d/e__f/g-h/i---j", "", ""},
        // Tag + digest together: both kept.
        ValidCase{"registry.local/repo:v1@sha256:" + kHex, "registry.local", "repo", "v1",
                  "sha256:" + kHex},
        // Tags: word characters, dots and dashes, up to 128, any case.
        ValidCase{"r.io/x:V1.2-rc_3", "r.io", "x", "V1.2-rc_3", ""},
        ValidCase{"r.io/x:_under", "r.io", "x", "_under", ""},
        ValidCase{"r.io/x:" + std::string(128, 't'), "r.io", "x", std::string(128, 't'), ""},
        ValidCase{"r.io/x:sha256-" + kHex + ".sig", "r.io", "x", "sha256-" + kHex + ".sig", ""},
        // sha384 / sha512 digests.
        ValidCase{"r.io/x@sha384:" + std::string(96, '0'), "r.io", "x", "",
                  "sha384:" + std::string(96, '0')},
        ValidCase{"r.io/x@sha512:" + std::string(128, 'f'), "r.io", "x", "",
                  "sha512:" + std::string(128, 'f')},
        // A bare `localhost:5000` is Docker Hub repository "localhost" with tag "5000", as in
        // distribution (a registry needs a path after it).
        ValidCase{"localhost:5000", "index.docker.io", "library/localhost", "5000", ""}));

struct InvalidCase {
  std::string input;
  std::string message;  // substring of the error
};

class InvalidReferenceTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidReferenceTest, RejectedWithReason) {
  const InvalidCase& c = GetParam();
  EXPECT_THAT(Reference::Parse(c.input),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
}

INSTANTIATE_TEST_SUITE_P(
    Table, InvalidReferenceTest,
    ::testing::Values(
        InvalidCase{"", "empty"}, InvalidCase{"busy box", "whitespace"},
        InvalidCase{" busybox", "offset 0"}, InvalidCase{"busybox ", "whitespace"},
        InvalidCase{"busybox\n", "whitespace"}, InvalidCase{"busybox\r\nX-Evil: 1", "whitespace"},
        InvalidCase{"busybox\t", "whitespace"},
        InvalidCase{std::string("busy\0box", 8), "offset 4"},
        InvalidCase{"caf\xc3\xa9/app", "non-ASCII"}, InvalidCase{"Busybox", "lowercase"},
        InvalidCase{"gcr.io/Project/image", "lowercase"}, InvalidCase{"foo/Bar", "lowercase"},
        InvalidCase{"r.io/x@sha256:" + kHex + "@sha256:" + kHex, "more than one '@'"},
        InvalidCase{"r.io/x@@sha256:" + kHex, "more than one '@'"},
        InvalidCase{"@sha256:" + kHex, "empty repository name"},
        InvalidCase{"r.io/x@", "empty digest"}, InvalidCase{"r.io/x:", "empty tag"},
        InvalidCase{":tag", "empty repository name"}, InvalidCase{"r.io/", "empty repository path"},
        InvalidCase{"r.io//x", "empty path component"},
        InvalidCase{"r.io/x/", "empty path component"}, InvalidCase{"/x", "empty path component"},
        InvalidCase{"r.io/-x", "start and end"}, InvalidCase{"r.io/x-", "start and end"},
        InvalidCase{"r.io/x..y", "invalid separator"},
        InvalidCase{"r.io/x___y", "invalid separator"},
        InvalidCase{"r.io/x._y", "invalid separator"},
        InvalidCase{"r.io/x-_y", "invalid separator"}, InvalidCase{"r.io/x$y", "invalid character"},
        InvalidCase{"r.io/x:-tag", "invalid tag"}, InvalidCase{"r.io/x:.tag", "invalid tag"},
        InvalidCase{"r.io/x:ta+g", "invalid tag"},
        InvalidCase{"r.io/x:" + std::string(129, 't'), "invalid tag"},
        InvalidCase{"r.io/x:a:b", "invalid character"},
        InvalidCase{"r.io/x@sha256:" + std::string(63, 'a'), "64 hex digits, got 63"},
        InvalidCase{"r.io/x@sha256:" + std::string(65, 'a'), "64 hex digits, got 65"},
        InvalidCase{"r.io/x@sha256:" + std::string(64, 'A'), "lower-case hex"},
        InvalidCase{"r.io/x@sha256:" + std::string(63, 'a') + "g", "lower-case hex"},
        InvalidCase{"r.io/x@md5:" + std::string(32, 'a'), "unsupported algorithm"},
        InvalidCase{"r.io/x@SHA256:" + kHex, "unsupported algorithm"},
        InvalidCase{"r.io/x@" + kHex, "want <algorithm>:<hex>"},
        InvalidCase{"r.io/x@sha256", "want <algorithm>:<hex>"},
        InvalidCase{"sha256@sha256:" + kHex.substr(1), "64 hex digits"},
        InvalidCase{"r..io/x", "empty label"}, InvalidCase{".r.io/x", "empty label"},
        InvalidCase{"-r.io/x", "must not start or end"},
        InvalidCase{"r_x.io/x", "invalid character"},
        InvalidCase{"r.io:/x", "invalid registry port"},
        InvalidCase{"r.io:0/x", "invalid registry port"},
        InvalidCase{"r.io:65536/x", "invalid registry port"},
        InvalidCase{"r.io:12a/x", "invalid registry port"},
        InvalidCase{"r.io:5000:5000/x", "invalid registry port"},
        InvalidCase{"[::1/x", "unterminated"}, InvalidCase{"[zz::1]/x", "invalid IPv6"},
        InvalidCase{"[]/x", "invalid IPv6"}, InvalidCase{"[::1]x/y", "after IPv6"},
        InvalidCase{"r.io/" + std::string(251, 'a'), "longer than 255"},
        InvalidCase{std::string(5000, 'a'), "longer than"}));

TEST(ReferenceTest, NameOfExactly255IsAccepted) {
  std::string name = "r.io/" + std::string(250, 'a');
  ASSERT_EQ(name.size(), 255u);
  EXPECT_THAT(Reference::Parse(name), IsOk());
}

// Found by scripts/fuzz (oci/testdata/reference_corpus/long_hub_name): a 244-byte Docker Hub name
// parsed, but its normalised String() (index.docker.io/library/...) was 268 bytes and did not.
TEST(ReferenceTest, NameTooLongOnceNormalisedIsRejected) {
  EXPECT_THAT(Reference::Parse(std::string(231, 'a')), IsOk());  // 16 + 8 + 231 = 255
  EXPECT_THAT(Reference::Parse(std::string(232, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("once normalised")));
  EXPECT_THAT(Reference::Parse("docker.io/" + std::string(232, 'a') + ":v1"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("once normalised")));
  auto ref = Reference::Parse(std::string(231, 'a'));
  ASSERT_THAT(ref, IsOk());
  EXPECT_THAT(Reference::Parse(ref->String()), IsOkAndHolds(*ref));
}

TEST(ReferenceTest, ErrorQuotesInputEscapedAndShortened) {
  auto bad = Reference::Parse("r.io/x\r\nInjected: yes");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("\\r\\n"));
  EXPECT_THAT(std::string(bad.status().message()), ::testing::Not(HasSubstr("\r")));
  auto long_bad = Reference::Parse(std::string(1000, 'A'));
  ASSERT_FALSE(long_bad.ok());
  EXPECT_LT(long_bad.status().message().size(), 500u);
}

TEST(ReferenceTest, StringAndIdentifier) {
  ASSERT_OK_AND_ASSIGN(Reference plain, Reference::Parse("busybox"));
  EXPECT_EQ(plain.String(), "index.docker.io/library/busybox");
  EXPECT_EQ(plain.Identifier(), "latest");

  ASSERT_OK_AND_ASSIGN(Reference tagged, Reference::Parse("localhost:5000/demo:v1"));
  EXPECT_EQ(tagged.String(), "localhost:5000/demo:v1");
  EXPECT_EQ(tagged.Identifier(), "v1");

  ASSERT_OK_AND_ASSIGN(Reference both, Reference::Parse("localhost:5000/demo:v1@sha256:" + kHex));
  EXPECT_EQ(both.String(), "localhost:5000/demo:v1@sha256:" + kHex);
  EXPECT_EQ(both.Identifier(), "sha256:" + kHex);
  EXPECT_EQ(both.Name(), "localhost:5000/demo");
}

TEST(ReferenceTest, WithTagAndWithDigest) {
  ASSERT_OK_AND_ASSIGN(Reference ref, Reference::Parse("r.io/x:v1@sha256:" + kHex));
  ASSERT_OK_AND_ASSIGN(Digest d, Digest::Parse("sha256:" + kHex2));

  Reference pinned = ref.WithDigest(d);
  EXPECT_EQ(pinned.String(), "r.io/x@sha256:" + kHex2);
  EXPECT_FALSE(pinned.has_tag());

  ASSERT_OK_AND_ASSIGN(Reference sig, ref.WithTag(SignatureTag(d)));
  EXPECT_EQ(sig.String(), "r.io/x:sha256-" + kHex2 + ".sig");
  EXPECT_FALSE(sig.has_digest());

  EXPECT_THAT(ref.WithTag("bad tag"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid tag")));
  EXPECT_THAT(ref.WithTag(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ReferenceTest, EqualityComparesAllParts) {
  ASSERT_OK_AND_ASSIGN(Reference a, Reference::Parse("docker.io/library/busybox:1"));
  ASSERT_OK_AND_ASSIGN(Reference b, Reference::Parse("busybox:1"));
  ASSERT_OK_AND_ASSIGN(Reference c, Reference::Parse("busybox:2"));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(ReferenceTest, LoopbackRegistries) {
  struct Case {
    std::string ref;
    bool loopback;
  };
  for (const Case& c : std::vector<Case>{{"localhost/x", true},
                                         {"localhost:5000/x", true},
                                         {"127.0.0.1:5000/x", true},
                                         {"127.8.9.10/x", true},
                                         {"[::1]:5000/x", true},
                                         {"[::1]/x", true},
                                         {"128.0.0.1/x", false},
                                         {"10.0.0.1:5000/x", false},
                                         {"localhost.example.com/x", false},
                                         {"busybox", false},
                                         {"gcr.io/x", false}}) {
    ASSERT_OK_AND_ASSIGN(Reference ref, Reference::Parse(c.ref));
    EXPECT_EQ(ref.IsLoopbackRegistry(), c.loopback) << c.ref;
    EXPECT_EQ(IsLoopbackRegistry(ref.registry()), c.loopback) << c.ref;
  }
  EXPECT_TRUE(IsLoopbackRegistry("LOCALHOST:80"));
}

TEST(ReferenceTest, DockerHub) {
  ASSERT_OK_AND_ASSIGN(Reference hub, Reference::Parse("docker.io/foo/bar"));
  EXPECT_TRUE(hub.IsDockerHub());
  ASSERT_OK_AND_ASSIGN(Reference other, Reference::Parse("quay.io/foo/bar"));
  EXPECT_FALSE(other.IsDockerHub());
}

TEST(DigestTest, ValidImageDigestIsExactlySha256LowerHex) {
  EXPECT_TRUE(IsValidImageDigest("sha256:" + kHex2));
  for (const std::string& bad : std::vector<std::string>{
           "", "sha256:", "sha256:" + kHex2.substr(1), "sha256:" + kHex2 + "0", "SHA256:" + kHex2,
           "sha256:" + std::string(64, 'A'), "sha256:" + kHex2 + "\n", " sha256:" + kHex2,
           "sha256: " + kHex2.substr(1), "sha512:" + std::string(128, 'a'), "sha256-" + kHex2,
           kHex2, "sha256:" + std::string(63, 'a') + "g"}) {
    EXPECT_FALSE(IsValidImageDigest(bad)) << bad;
  }
}

TEST(DigestTest, ParseAcceptsThreeAlgorithms) {
  ASSERT_OK_AND_ASSIGN(Digest d256, Digest::Parse("sha256:" + kHex2));
  EXPECT_EQ(d256.algorithm(), "sha256");
  EXPECT_EQ(d256.hex(), kHex2);
  EXPECT_EQ(d256.String(), "sha256:" + kHex2);
  EXPECT_THAT(Digest::Parse("sha384:" + std::string(96, '1')), IsOk());
  EXPECT_THAT(Digest::Parse("sha512:" + std::string(128, '2')), IsOk());
  EXPECT_THAT(Digest::Parse("sha384:" + std::string(64, '1')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("96 hex digits")));
  EXPECT_THAT(Digest::Parse("sha1:" + std::string(40, '1')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unsupported")));
  EXPECT_THAT(Digest::Parse(":" + kHex2), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Digest::Parse("sha256:" + kHex2 + " "), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DigestTest, CosignTagNames) {
  ASSERT_OK_AND_ASSIGN(Digest d, Digest::Parse("sha256:" + kHex2));
  EXPECT_EQ(SignatureTag(d), "sha256-" + kHex2 + ".sig");
  EXPECT_EQ(AttestationTag(d), "sha256-" + kHex2 + ".att");
  EXPECT_TRUE(IsValidTag(SignatureTag(d)));
  ASSERT_OK_AND_ASSIGN(Digest d384, Digest::Parse("sha384:" + std::string(96, 'b')));
  EXPECT_TRUE(IsValidTag(AttestationTag(d384)));
  ASSERT_OK_AND_ASSIGN(Digest d512, Digest::Parse("sha512:" + std::string(128, 'b')));
  EXPECT_FALSE(IsValidTag(AttestationTag(d512)));
}

}  // namespace
}  // namespace hallmark::oci
