// Checks that protobuf 3.21's JSON mapping of our schemas gives the wire format Chains, cosign and
// in-toto readers expect: the special key names, which empty fields appear and which are omitted,
// base64 for bytes, RFC 3339 times, and numbers/nulls/empty containers inside Structs.
#include <string>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "proto/dsse_envelope.pb.h"
#include "proto/intoto_statement.pb.h"
#include "proto/slsa_provenance_v02.pb.h"
#include "proto/slsa_provenance_v1.pb.h"

namespace hallmark::proto {
namespace {

using nlohmann::json;

json ToJson(const google::protobuf::Message& message) {
  std::string out;
  auto status = google::protobuf::util::MessageToJsonString(message, &out);
  EXPECT_TRUE(status.ok()) << status.ToString();
  json parsed = json::parse(out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(parsed.is_discarded()) << out;
  return parsed;
}

TEST(JsonMappingTest, StatementUsesInTotoKeyNamesAndOmitsEmptySubjects) {
  intoto::Statement statement;
  statement.set_type("https://in-toto.io/Statement/v1");
  statement.set_predicate_type("https://slsa.dev/provenance/v1");
  statement.mutable_predicate();
  json got = ToJson(statement);
  EXPECT_EQ(got, json::parse(R"({"_type": "https://in-toto.io/Statement/v1",
                                 "predicateType": "https://slsa.dev/provenance/v1",
                                 "predicate": {}})"));
  EXPECT_FALSE(got.contains("subject"));

  intoto::ResourceDescriptor* subject = statement.add_subject();
  subject->set_name("gcr.io/foo/bar");
  (*subject->mutable_digest())["sha256"] = "05f9";
  got = ToJson(statement);
  EXPECT_EQ(got["subject"], json::parse(R"([{"name": "gcr.io/foo/bar",
                                             "digest": {"sha256": "05f9"}}])"));
}

TEST(JsonMappingTest, ResourceDescriptorContentIsStandardBase64) {
  intoto::ResourceDescriptor rd;
  rd.set_name("taskRunResults/IMAGE_URL");
  rd.set_media_type("application/json");
  rd.set_content("\"gcr.io/foo/bar\\n\"");
  json got = ToJson(rd);
  // The value from fixtures/chains/e2e/expected/v2alpha3/task-output-image.json.
  EXPECT_EQ(got["content"], "Imdjci5pby9mb28vYmFyXG4i");
  EXPECT_EQ(got["mediaType"], "application/json");

  intoto::ResourceDescriptor back;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(got.dump(), &back).ok());
  EXPECT_EQ(back.content(), rd.content());
}

TEST(JsonMappingTest, SlsaV02KeepsFalseFlagsAndEmptyConfigSource) {
  slsa::v02::Provenance predicate;
  predicate.mutable_builder()->set_id("https://tekton.dev/chains/v2");
  predicate.set_build_type("tekton.dev/v1/TaskRun");
  predicate.mutable_invocation()->mutable_config_source();
  predicate.mutable_invocation()->mutable_parameters();
  slsa::v02::Metadata* metadata = predicate.mutable_metadata();
  metadata->mutable_completeness()->set_parameters(false);
  metadata->mutable_completeness()->set_environment(false);
  metadata->mutable_completeness()->set_materials(false);
  metadata->set_reproducible(false);
  metadata->mutable_build_started_on()->set_seconds(1617011400);  // 2021-03-29T09:50:00Z
  json got = ToJson(predicate);
  EXPECT_EQ(got, json::parse(R"({
    "builder": {"id": "https://tekton.dev/chains/v2"},
    "buildType": "tekton.dev/v1/TaskRun",
    "invocation": {"configSource": {}, "parameters": {}},
    "metadata": {"buildStartedOn": "2021-03-29T09:50:00Z",
                 "completeness": {"parameters": false, "environment": false, "materials": false},
                 "reproducible": false}})"));
  EXPECT_FALSE(got["metadata"].contains("buildInvocationID"));

  metadata->set_build_invocation_id("abc");
  EXPECT_EQ(ToJson(predicate)["metadata"]["buildInvocationID"], "abc");
}

TEST(JsonMappingTest, SlsaV1KeepsEmptyInternalParametersAndMetadata) {
  slsa::v1::Provenance predicate;
  predicate.mutable_build_definition()->set_build_type("https://tekton.dev/chains/v2/slsa");
  predicate.mutable_build_definition()->mutable_external_parameters();
  predicate.mutable_build_definition()->mutable_internal_parameters();
  predicate.mutable_run_details()->mutable_builder()->set_id("b");
  predicate.mutable_run_details()->mutable_metadata();
  json got = ToJson(predicate);
  EXPECT_EQ(got, json::parse(R"({
    "buildDefinition": {"buildType": "https://tekton.dev/chains/v2/slsa",
                        "externalParameters": {}, "internalParameters": {}},
    "runDetails": {"builder": {"id": "b"}, "metadata": {}}})"));

  predicate.mutable_run_details()->mutable_metadata()->set_invocation_id("uid-1");
  predicate.mutable_run_details()->mutable_metadata()->mutable_finished_on()->set_seconds(
      1617011415);
  got = ToJson(predicate);
  EXPECT_EQ(got["runDetails"]["metadata"],
            json::parse(R"({"invocationId": "uid-1", "finishedOn": "2021-03-29T09:50:15Z"})"));
}

TEST(JsonMappingTest, StructKeepsNullsEmptyContainersAndIntegers) {
  const std::string input =
      R"({"arguments": null, "steps": [], "env": {}, "MaxResultSize": 4096,
          "flag": true, "nested": {"list": ["a", 1.5]}})";
  google::protobuf::Struct value;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(input, &value).ok());
  json got = ToJson(value);
  EXPECT_EQ(got, json::parse(input));
  // An integral number is printed without a fraction or exponent, as Go's protojson does.
  std::string out;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(value, &out).ok());
  EXPECT_NE(out.find("4096"), std::string::npos);
  EXPECT_EQ(out.find("4096.0"), std::string::npos);
}

TEST(JsonMappingTest, DsseEnvelopeRoundTrips) {
  // An envelope as cosign writes it (payload "hello", signature bytes "sig").
  const std::string wire = R"({"payloadType":"application/vnd.in-toto+json","payload":"aGVsbG8=",)"
                           R"("signatures":[{"keyid":"SHA256:abc","sig":"c2ln"}]})";
  dsse::Envelope envelope;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(wire, &envelope).ok());
  EXPECT_EQ(envelope.payload(), "hello");
  EXPECT_EQ(envelope.payload_type(), "application/vnd.in-toto+json");
  ASSERT_EQ(envelope.signatures_size(), 1);
  EXPECT_EQ(envelope.signatures(0).sig(), "sig");
  EXPECT_EQ(envelope.signatures(0).keyid(), "SHA256:abc");
  EXPECT_EQ(ToJson(envelope), json::parse(wire));
}

TEST(JsonMappingTest, StatementV01HasTheSameShape) {
  intoto::StatementV01 statement;
  statement.set_type("https://in-toto.io/Statement/v0.1");
  statement.set_predicate_type("https://slsa.dev/provenance/v0.2");
  intoto::SubjectV01* subject = statement.add_subject();
  subject->set_name("gcr.io/foo/bar");
  (*subject->mutable_digest())["sha256"] = "05f9";
  EXPECT_EQ(ToJson(statement), json::parse(R"({
    "_type": "https://in-toto.io/Statement/v0.1",
    "predicateType": "https://slsa.dev/provenance/v0.2",
    "subject": [{"name": "gcr.io/foo/bar", "digest": {"sha256": "05f9"}}]})"));
}

}  // namespace
}  // namespace hallmark::proto
