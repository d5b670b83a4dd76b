// Kyverno's image normalisation (before glob matching) next to go-containerregistry's (what we
// fetch and what cosign signs), and Kyverno's glob.
#include "verifier/policy/image_info.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "verifier/policy/wildcard.h"

namespace hallmark::verifier::policy {
namespace {

using ::hallmark::testing::StatusIs;

struct Case {
  const char* image;
  const char* kyverno;  // ImageInfo::String()
  const char* ggcr;     // oci::Reference of the same image
};

TEST(ImageInfoTest, KyvernoAndGgcrNormaliseDifferently) {
  const std::string hex(64, 'a');
  const Case cases[] = {
      {"nginx", "docker.io/nginx:latest", "index.docker.io/library/nginx:latest"},
      {"nginx:1.2", "docker.io/nginx:1.2", "index.docker.io/library/nginx:1.2"},
      {"library/nginx", "docker.io/library/nginx:latest", "index.docker.io/library/nginx:latest"},
      {"docker.io/nginx", "docker.io/nginx:latest", "index.docker.io/library/nginx:latest"},
      {"localhost/app", "localhost/app:latest", "localhost/app:latest"},
      {"localhost:5000/demo:v1", "localhost:5000/demo:v1", "localhost:5000/demo:v1"},
      {"ghcr.io/kyverno/test-verify-image:signed", "ghcr.io/kyverno/test-verify-image:signed",
       "ghcr.io/kyverno/test-verify-image:signed"},
  };
  for (const Case& c : cases) {
    ASSERT_OK_AND_ASSIGN(ImageInfo info, ImageInfo::Parse(c.image));
    EXPECT_EQ(info.String(), c.kyverno) << c.image;
    ASSERT_OK_AND_ASSIGN(oci::Reference ref, info.Reference());
    EXPECT_EQ(ref.Name() + ":" + ref.tag(), c.ggcr) << c.image;
  }
  // A digest drops the tag in Kyverno's string (so "docker.io/nginx:*" does not match it).
  ASSERT_OK_AND_ASSIGN(ImageInfo pinned, ImageInfo::Parse("nginx:1.2@sha256:" + hex));
  EXPECT_EQ(pinned.String(), "docker.io/nginx@sha256:" + hex);
  EXPECT_EQ(pinned.tag, "1.2");
  EXPECT_EQ(pinned.ReferenceWithTag(), "docker.io/nginx:1.2");
  EXPECT_FALSE(WildcardMatch("docker.io/nginx:*", pinned.String()));
  ASSERT_OK_AND_ASSIGN(ImageInfo plain, ImageInfo::Parse("busybox@sha256:" + hex));
  EXPECT_EQ(plain.tag, "");
  EXPECT_EQ(plain.String(), "docker.io/busybox@sha256:" + hex);
  EXPECT_EQ(plain.name, "busybox");
}

TEST(ImageInfoTest, BadImagesAreErrors) {
  for (const char* bad :
       {"", "UPPER/case", "a b", "x@@sha256:1", "nginx@sha256:short", "registry.local/app:v1\n"}) {
    EXPECT_THAT(ImageInfo::Parse(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(WildcardTest, GoWildcardSemantics) {
  EXPECT_TRUE(WildcardMatch("*", ""));
  EXPECT_TRUE(WildcardMatch("*", "ghcr.io/a/b:c"));
  EXPECT_TRUE(WildcardMatch("ghcr.io/trusted/*", "ghcr.io/trusted/x/y:1"));
  EXPECT_FALSE(WildcardMatch("ghcr.io/trusted/*", "ghcr.io/trustedx/y:1"));
  EXPECT_TRUE(WildcardMatch("ghcr.io/kyverno/test-verify-image*",
                            "ghcr.io/kyverno/test-verify-image:signed"));
  EXPECT_TRUE(WildcardMatch("?", "/"));
  EXPECT_TRUE(WildcardMatch("a?c",
                            "a\xc3\xa9"
                            "c"));  // one code point
  EXPECT_FALSE(WildcardMatch("a?c", "abbc"));
  EXPECT_FALSE(WildcardMatch("Nginx", "nginx"));
  EXPECT_TRUE(WildcardMatch("*a*b*c*", "xxaxxbxxcxx"));
  EXPECT_FALSE(WildcardMatch("", "x"));
  EXPECT_TRUE(WildcardMatch("", ""));
  // Pathological patterns stay fast (no exponential backtracking).
  std::string text(5000, 'a');
  EXPECT_FALSE(WildcardMatch("*a*a*a*a*a*a*a*a*b", text));
}

}  // namespace
}  // namespace hallmark::verifier::policy
