#include "kube/resource.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::kube {
namespace {

using ::hallmark::testing::IsOkAndHolds;
using ::hallmark::testing::StatusIs;

TEST(ResourceTest, Paths) {
  EXPECT_THAT(CollectionPath(TaskRunsV1(), ""), IsOkAndHolds("/apis/tekton.dev/v1/taskruns"));
  EXPECT_THAT(CollectionPath(TaskRunsV1(), "ci"),
              IsOkAndHolds("/apis/tekton.dev/v1/namespaces/ci/taskruns"));
  EXPECT_THAT(ObjectPath(PipelineRunsV1(), "ci", "pr-1", "status"),
              IsOkAndHolds("/apis/tekton.dev/v1/namespaces/ci/pipelineruns/pr-1/status"));
  EXPECT_THAT(ObjectPath(Secrets(), "tekton-chains", "signing-secrets"),
              IsOkAndHolds("/api/v1/namespaces/tekton-chains/secrets/signing-secrets"));
  EXPECT_THAT(
      ObjectPath(Leases(), "tekton-chains", "hallmark"),
      IsOkAndHolds("/apis/coordination.k8s.io/v1/namespaces/tekton-chains/leases/hallmark"));
  EXPECT_THAT(ObjectPath(ClusterPolicies(), "", "check-images"),
              IsOkAndHolds("/apis/kyverno.io/v1/clusterpolicies/check-images"));
  EXPECT_EQ(TaskRunsV1().GroupResource(), "taskruns.tekton.dev");
  EXPECT_EQ(CoreEvents().GroupResource(), "events");
  EXPECT_EQ(ConfigMaps().ApiVersion(), "v1");
  EXPECT_EQ(Leases().ApiVersion(), "coordination.k8s.io/v1");
}

TEST(ResourceTest, ScopeMistakesAreRefused) {
  EXPECT_THAT(ObjectPath(TaskRunsV1(), "", "x"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CollectionPath(ClusterPolicies(), "ci"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ResourceTest, NamesCannotEscapeTheirPathSegment) {
  for (const char* bad : {"", ".", "..", "a/b", "../x", "a?b=c", "a#b", "a b", "a%2fb", "a\nb"}) {
    EXPECT_THAT(ObjectPath(TaskRunsV1(), "ci", bad), StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
    EXPECT_THAT(CollectionPath(TaskRunsV1(), bad == std::string("") ? "x/y" : bad),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  EXPECT_THAT(ObjectPath(TaskRunsV1(), "ci", std::string(254, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(ValidateName("name", "system:node.x-1_y").ok());
}

TEST(ResourceTest, QueryEscaping) {
  EXPECT_EQ(QueryEscape("app=x,tier!=db"), "app%3Dx%2Ctier%21%3Ddb");
  EXPECT_EQ(QueryEscape("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(QueryEscape(std::string("\xff/ &", 4)), "%FF%2F%20%26");
  EXPECT_EQ(BuildQuery({}), "");
  EXPECT_EQ(BuildQuery({{"watch", "true"}, {"labelSelector", "a in (b,c)"}}),
            "?watch=true&labelSelector=a%20in%20%28b%2Cc%29");
}

}  // namespace
}  // namespace hallmark::kube
