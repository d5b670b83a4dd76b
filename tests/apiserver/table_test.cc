#include "tests/apiserver/table.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/apiserver/json_util.h"

namespace hallmark::tests::apiserver {
namespace {

using json = nlohmann::json;

TEST(Table, HumanDurationMatchesApimachinery) {
  EXPECT_EQ(HumanDuration(absl::Seconds(-5)), "<invalid>");
  EXPECT_EQ(HumanDuration(absl::Seconds(-1)), "0s");
  EXPECT_EQ(HumanDuration(absl::Seconds(45)), "45s");
  EXPECT_EQ(HumanDuration(absl::Seconds(119)), "119s");
  EXPECT_EQ(HumanDuration(absl::Seconds(125)), "2m5s");
  EXPECT_EQ(HumanDuration(absl::Minutes(5)), "5m");
  EXPECT_EQ(HumanDuration(absl::Minutes(74)), "74m");
  EXPECT_EQ(HumanDuration(absl::Hours(3) + absl::Minutes(20)), "3h20m");
  EXPECT_EQ(HumanDuration(absl::Hours(30)), "30h");
  EXPECT_EQ(HumanDuration(absl::Hours(98)), "4d2h");
  EXPECT_EQ(HumanDuration(absl::Hours(24 * 30)), "30d");
  EXPECT_EQ(HumanDuration(absl::Hours(24 * 375 * 2)), "2y20d");
  EXPECT_EQ(HumanDuration(absl::Hours(2)), "120m");
}

TEST(Table, PrinterColumnPaths) {
  json run = json::parse(R"({"metadata":{"name":"r"},"status":{"conditions":[
      {"type":"Ready","status":"False"},{"type":"Succeeded","status":"True","reason":"Done"}],
      "results":[{"name":"a","value":"1"},{"name":"b","value":"2"}]}})");
  EXPECT_EQ(*JsonPathValue(run, R"(.status.conditions[?(@.type=="Succeeded")].status)"), "True");
  EXPECT_EQ(*JsonPathValue(run, R"(.status.conditions[?(@.type == 'Ready')].status)"), "False");
  EXPECT_EQ(*JsonPathValue(run, ".status.results[1].value"), "2");
  EXPECT_EQ(*JsonPathValue(run, ".status.results[*].name"), "a");
  EXPECT_EQ(JsonPathValue(run, ".status.startTime"), nullptr);
  EXPECT_EQ(JsonPathValue(run, R"(.status.conditions[?(@.type=="Other")].status)"), nullptr);
  EXPECT_EQ(JsonPathValue(run, "status["), nullptr);
}

TEST(Table, CustomResourceTableLikeApiextensions) {
  ResourceInfo info;
  info.builtin = false;
  info.printer_columns = json::parse(R"([
      {"name":"Succeeded","type":"string","jsonPath":".status.conditions[?(@.type==\"Succeeded\")].status"},
      {"name":"StartTime","type":"date","jsonPath":".status.startTime"},
      {"name":"Retries","type":"integer","jsonPath":".spec.retries","priority":1}])");
  TableConverter table(info);
  ASSERT_TRUE(table.Supported());
  absl::Time now = absl::FromUnixSeconds(1700000000);
  json list = json::parse(R"({"metadata":{"resourceVersion":"9","continue":"abc"},"items":[
      {"metadata":{"name":"done","namespace":"default"},"spec":{"retries":2},
       "status":{"conditions":[{"type":"Succeeded","status":"True"}],"startTime":"2023-11-14T22:08:20Z"}},
      {"metadata":{"name":"fresh"}}]})");
  json t = table.FromList(list, now);
  EXPECT_EQ(t["kind"], "Table");
  EXPECT_EQ(t["apiVersion"], "meta.k8s.io/v1");
  EXPECT_EQ(t["metadata"]["continue"], "abc");
  ASSERT_EQ(t["columnDefinitions"].size(), 4u);
  EXPECT_EQ(t["columnDefinitions"][0]["format"], "name");
  EXPECT_EQ(t["columnDefinitions"][2]["description"],
            "Custom resource definition column (in JSONPath format): .status.startTime");
  EXPECT_EQ(t["columnDefinitions"][3]["priority"], 1);
  EXPECT_EQ(t["rows"][0]["cells"], json::parse(R"(["done","True","5m",2])"));
  EXPECT_EQ(t["rows"][1]["cells"], json::parse(R"(["fresh",null,null,null])"));
  EXPECT_EQ(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
  EXPECT_EQ(t["rows"][0]["object"]["metadata"]["namespace"], "default");
  EXPECT_TRUE(table.FromObject(list["items"][0], now, false)["columnDefinitions"].is_null());

  ResourceInfo plain;
  plain.builtin = false;
  TableConverter age(plain);
  json t2 = age.FromObject(
      json::parse(R"({"metadata":{"name":"x","creationTimestamp":"2023-11-14T18:13:20Z"}})"), now,
      true);
  EXPECT_EQ(t2["columnDefinitions"][1]["name"], "Age");
  EXPECT_EQ(t2["rows"][0]["cells"], json::parse(R"(["x","4h"])"));

  ResourceInfo builtin;
  builtin.builtin = true;
  EXPECT_FALSE(TableConverter(builtin).Supported());
}

TEST(Table, AcceptNegotiation) {
  EXPECT_TRUE(
      WantsTable("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;"
                 "v=v1beta1;g=meta.k8s.io,application/json"));
  EXPECT_TRUE(WantsTable("application/json; as=Table; v=v1beta1; g=meta.k8s.io"));
  EXPECT_FALSE(WantsTable("application/json"));
  EXPECT_FALSE(WantsTable("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"));
}

}  // namespace
}  // namespace hallmark::tests::apiserver
