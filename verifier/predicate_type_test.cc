#include "verifier/predicate_type.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::verifier {
namespace {

using ::hallmark::testing::IsOkAndHolds;
using ::hallmark::testing::StatusIs;

TEST(PredicateTypeTest, CosignShortcuts) {
  EXPECT_THAT(ResolvePredicateType("custom"),
              IsOkAndHolds("https://cosign.sigstore.dev/attestation/v1"));
  EXPECT_THAT(ResolvePredicateType("slsaprovenance"),
              IsOkAndHolds("https://slsa.dev/provenance/v0.2"));
  EXPECT_THAT(ResolvePredicateType("slsaprovenance02"),
              IsOkAndHolds("https://slsa.dev/provenance/v0.2"));
  EXPECT_THAT(ResolvePredicateType("slsaprovenance1"),
              IsOkAndHolds("https://slsa.dev/provenance/v1"));
  EXPECT_THAT(ResolvePredicateType("spdxjson"), IsOkAndHolds("https://spdx.dev/Document"));
  EXPECT_THAT(ResolvePredicateType("cyclonedx"), IsOkAndHolds("https://cyclonedx.org/bom"));
  EXPECT_THAT(ResolvePredicateType("link"), IsOkAndHolds("https://in-toto.io/Link/v1"));
  EXPECT_THAT(ResolvePredicateType("vuln"),
              IsOkAndHolds("https://cosign.sigstore.dev/attestation/vuln/v1"));
  EXPECT_THAT(ResolvePredicateType("openvex"), IsOkAndHolds("https://openvex.dev/ns"));
  EXPECT_THAT(ResolvePredicateType("https://example.com/CodeReview/v1"),
              IsOkAndHolds("https://example.com/CodeReview/v1"));
  EXPECT_THAT(ResolvePredicateType(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ResolvePredicateType("a b"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace hallmark::verifier
