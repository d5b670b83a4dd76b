#include "base/yaml_json.h"

#include <cmath>
#include <string>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark {
namespace {

using ::hallmark::testing::IsOkAndHolds;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;
using json = nlohmann::json;

// The value of `key` in the one-document mapping `yaml`; fails the test on an error.
json ValueOf(const std::string& yaml, const std::string& key = "v") {
  absl::StatusOr<json> doc = ParseYaml(yaml);
  EXPECT_TRUE(doc.ok()) << yaml << ": " << doc.status();
  if (!doc.ok() || !doc->is_object() || !doc->contains(key)) return json("<missing>");
  return (*doc)[key];
}

absl::Status ErrorOf(const std::string& yaml) {
  absl::StatusOr<json> doc = ParseYaml(yaml);
  return doc.ok() ? absl::OkStatus() : doc.status();
}

TEST(YamlJsonTest, MultiDocumentStreamWithScalarsResolved) {
  ASSERT_OK_AND_ASSIGN(std::vector<json> docs, ParseYamlDocuments(R"(---
a: 1
b: "1"
c: true
d: ~
e: 1.5
f: plain text
---
# only a comment in between
---
- x
- {k: z}
)"));
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0], json::parse(R"({"a":1,"b":"1","c":true,"d":null,"e":1.5,"f":"plain text"})"));
  EXPECT_EQ(docs[1], json::parse(R"(["x",{"k":"z"}])"));
}

TEST(YamlJsonTest, ConvertsAManifestWithTypedScalars) {
  EXPECT_THAT(ParseYaml(R"(
apiVersion: tekton.dev/v1
kind: TaskRun
metadata:
  name: build
spec:
  retries: 3
  ratio: 1.5
  debug: false
  quoted: "3"
  empty:
  tilde: ~
  timeout: 1h0m0s
  params:
  - name: IMAGE
    value: gcr.io/foo/bar
  script: |
    echo 'hi'
)"),
              IsOkAndHolds(json::parse(R"({
    "apiVersion": "tekton.dev/v1", "kind": "TaskRun", "metadata": {"name": "build"},
    "spec": {"retries": 3, "ratio": 1.5, "debug": false, "quoted": "3", "empty": null,
             "tilde": null, "timeout": "1h0m0s",
             "params": [{"name": "IMAGE", "value": "gcr.io/foo/bar"}],
             "script": "echo 'hi'\n"}})")));
}

// go-yaml v2 (YAML 1.1) as sigs.k8s.io/yaml uses it: what kubectl and the API server read.
TEST(YamlJsonTest, ScalarsResolveLikeKubernetes) {
  ASSERT_OK_AND_ASSIGN(json j, ParseYaml(R"(
plain: hello
quoted: "true"
yes11: yes
on11: on
y11: y
off11: OFF
no11: No
t: true
mixedcase: tRuE
n: null
tilde: ~
empty:
int: 42
neg: -7
octal: 0777
octal12: 0o17
hex: 0x1F
binary: 0b101
negbinary: -0b101
underscores: 1_000
plus: +5
float: 1.5
dotfloat: .5
signeddot: +.5
exponent: 1e3
integral: 1.0
version: "1.10"
floatversion: 1.10
leadingzero: 08
big: 18446744073709551615
int64min: -9223372036854775808
overuint: 18446744073709551616
hugefloat: 1e400
tiny: 1e-400
str: 08x
hexprefix: 0x
date: 2024-01-01
stamp: 2024-01-01T10:00:00Z
)"));
  EXPECT_EQ(j["plain"], "hello");
  EXPECT_EQ(j["quoted"], "true");
  EXPECT_EQ(j["yes11"], true);
  EXPECT_EQ(j["on11"], true);
  EXPECT_EQ(j["y11"], true);
  EXPECT_EQ(j["off11"], false);
  EXPECT_EQ(j["no11"], false);
  EXPECT_EQ(j["t"], true);
  EXPECT_EQ(j["mixedcase"], "tRuE");
  EXPECT_TRUE(j["n"].is_null());
  EXPECT_TRUE(j["tilde"].is_null());
  EXPECT_TRUE(j["empty"].is_null());
  EXPECT_EQ(j["int"], 42);
  EXPECT_EQ(j["neg"], -7);
  EXPECT_EQ(j["octal"], 511);
  EXPECT_EQ(j["octal12"], 15);
  EXPECT_EQ(j["hex"], 31);
  EXPECT_EQ(j["binary"], 5);
  EXPECT_EQ(j["negbinary"], -5);
  EXPECT_EQ(j["underscores"], 1000);
  EXPECT_EQ(j["plus"], 5);
  EXPECT_EQ(j["float"], 1.5);
  EXPECT_EQ(j["dotfloat"], 0.5);
  EXPECT_EQ(j["signeddot"], 0.5);
  // Integral floats come out as sigs.k8s.io/yaml's JSON has them: digits, an integer.
  EXPECT_TRUE(j["exponent"].is_number_integer());
  EXPECT_EQ(j["exponent"], 1000);
  EXPECT_TRUE(j["integral"].is_number_integer());
  EXPECT_EQ(j["integral"], 1);
  EXPECT_EQ(j["version"], "1.10");
  EXPECT_EQ(j["floatversion"], 1.1);
  EXPECT_EQ(j["leadingzero"], 8);  // not octal (8 is no octal digit), so a float
  EXPECT_EQ(j["big"], 18446744073709551615ULL);
  EXPECT_EQ(j["int64min"], INT64_MIN);
  EXPECT_TRUE(j["overuint"].is_number_float());
  EXPECT_EQ(j["overuint"], 18446744073709551616.0);
  EXPECT_EQ(j["hugefloat"], "1e400");  // overflows a double: Go keeps the text
  EXPECT_EQ(j["tiny"], 0);
  EXPECT_EQ(j["str"], "08x");
  EXPECT_EQ(j["hexprefix"], "0x");
  EXPECT_EQ(j["date"], "2024-01-01");
  EXPECT_EQ(j["stamp"], "2024-01-01T10:00:00Z");
}

TEST(YamlJsonTest, InfinityAndNanHaveNoJsonForm) {
  EXPECT_THAT(ErrorOf("x: .inf\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(".inf")));
  EXPECT_THAT(ErrorOf("x: -.Inf\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("-.inf")));
  EXPECT_THAT(ErrorOf("- 1\n- .NaN\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2: float .nan")));
  EXPECT_EQ(ValueOf("v: \".inf\"\n"), ".inf");
  EXPECT_EQ(ValueOf("v: .infinity\n"), ".infinity");
}

TEST(YamlJsonTest, BlockScalarsAndStructures) {
  EXPECT_THAT(ParseYaml("script: |-\n  echo a\n  echo b\nlist: [1, two]\nmap: {a: {b: c}}\n"),
              IsOkAndHolds(json::parse(
                  R"({"script":"echo a\necho b","list":[1,"two"],"map":{"a":{"b":"c"}}})")));
  EXPECT_EQ(ValueOf("v: |-\n  123\n  true\n"), "123\ntrue");
  EXPECT_EQ(ValueOf("v: >-\n  yes\n"), "yes");
}

TEST(YamlJsonTest, FlowStyleAndEmptyDocument) {
  EXPECT_THAT(ParseYaml("{a: [1, two, {b: null}], c: {}}"),
              IsOkAndHolds(json::parse(R"({"a": [1, "two", {"b": null}], "c": {}})")));
  ASSERT_OK_AND_ASSIGN(json empty, ParseYaml(""));
  EXPECT_TRUE(empty.is_null());
  ASSERT_OK_AND_ASSIGN(json comments, ParseYaml("# nothing\n---\n"));
  EXPECT_TRUE(comments.is_null());
}

TEST(YamlJsonTest, ExplicitTags) {
  EXPECT_EQ(ValueOf("v: !!str 123\n"), "123");
  EXPECT_EQ(ValueOf("v: !!str yes\n"), "yes");
  EXPECT_EQ(ValueOf("v: !!int \"12\"\n"), 12);
  EXPECT_EQ(ValueOf("v: !!float 1\n"), 1);
  EXPECT_EQ(ValueOf("v: !!float 1.5\n"), 1.5);
  EXPECT_EQ(ValueOf("v: !!bool yes\n"), true);
  EXPECT_TRUE(ValueOf("v: !!null \"\"\n").is_null());
  EXPECT_EQ(ValueOf("v: !!timestamp 2001-12-14\n"), "2001-12-14");
  EXPECT_EQ(ValueOf("v: !!timestamp 2001-12-14t21:59:43.10-05:00\n"),
            "2001-12-14t21:59:43.10-05:00");
  // Tags go-yaml does not know, and the non-specific `!`, leave the text a string.
  EXPECT_EQ(ValueOf("v: !foo 12\n"), "12");
  EXPECT_EQ(ValueOf("v: ! true\n"), "true");
  // !!binary is decoded; bytes that are not UTF-8 become U+FFFD, as Go's JSON writes them.
  EXPECT_EQ(ValueOf("v: !!binary aGVsbG8=\n"), "hello");
  EXPECT_EQ(ValueOf("v: !!binary |\n  aGVs\n  bG8=\n"), "hello");
  EXPECT_EQ(ValueOf("v: !!binary /2E=\n"),
            "\xef\xbf\xbd"
            "a");

  EXPECT_THAT(ErrorOf("v: !!int 1.5\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("scalar at line 1: cannot decode !!float as a !!int")));
  EXPECT_THAT(ErrorOf("v: !!int abc\n"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ErrorOf("v: !!null x\n"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ErrorOf("v: !!bool 1\n"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ErrorOf("v: !!float 18446744073709551615\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ErrorOf("v: !!timestamp yesterday\n"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ErrorOf("v: !!binary not*base64\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("base64")));
}

// sigs.k8s.io/yaml turns the keys go-yaml resolved to bools and numbers into text.
TEST(YamlJsonTest, KeysBecomeTheirJsonText) {
  EXPECT_THAT(ParseYaml(R"(
yes: a
off: b
1: c
0x10: d
1.50: e
1e6: f
0.00001: g
3.14159265358979: h
100.0: i
.inf: j
"on": k
!!str 0x20: l
2024-01-01: m
)"),
              IsOkAndHolds(json::parse(R"({"true": "a", "false": "b", "1": "c", "16": "d",
                  "1.5": "e", "1e+06": "f", "1e-05": "g", "3.1415927": "h", "100": "i",
                  ".inf": "j", "on": "k", "0x20": "l", "2024-01-01": "m"})")));
  // The classic surprise, as Kubernetes has it: `y` and `n` are booleans, keys included.
  EXPECT_THAT(ParseYaml("y: n\n"), IsOkAndHolds(json::parse(R"({"true": false})")));
  EXPECT_THAT(ErrorOf("~: a\n"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("null")));
  EXPECT_THAT(ErrorOf(": a\n"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ErrorOf("18446744073709551615: a\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("above int64")));
  EXPECT_THAT(ErrorOf("? [a, b]\n: c\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a scalar")));
  EXPECT_THAT(ErrorOf("? {a: b}\n: c\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a scalar")));
}

TEST(YamlJsonTest, DuplicateKeysAreErrorsUnlessTheLastMayWin) {
  EXPECT_THAT(ParseYamlDocuments("a: 1\na: 2\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"a\" repeated at line 2")));
  // The same JSON key from two spellings.
  EXPECT_THAT(ParseYamlDocuments("true: 1\nyes: 2\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"true\" repeated")));
  YamlOptions last_wins;
  last_wins.last_duplicate_key_wins = true;
  EXPECT_THAT(ParseYaml("a: 1\nb: 0\na: 2\n", last_wins),
              IsOkAndHolds(json::parse(R"({"a": 2, "b": 0})")));
}

// go-yaml v2's merge: a merge overrides the keys before it, keys after it override the merge,
// and of several merged mappings the first wins.
TEST(YamlJsonTest, MergeKeys) {
  ASSERT_OK_AND_ASSIGN(json j, ParseYaml(R"(
base: &base {image: busybox, pull: Always}
extra: &extra {pull: Never, tty: true}
one:
  <<: *base
  pull: IfNotPresent
before:
  image: mine
  <<: *base
several:
  <<: [*extra, *base]
inline:
  <<: {a: 1}
  b: 2
quoted:
  "<<": *base
)"));
  EXPECT_EQ(j["one"], json::parse(R"({"image": "busybox", "pull": "IfNotPresent"})"));
  EXPECT_EQ(j["before"], json::parse(R"({"image": "busybox", "pull": "Always"})"));
  EXPECT_EQ(j["several"], json::parse(R"({"image": "busybox", "pull": "Never", "tty": true})"));
  EXPECT_EQ(j["inline"], json::parse(R"({"a": 1, "b": 2})"));
  EXPECT_EQ(j["quoted"], json::parse(R"({"<<": {"image": "busybox", "pull": "Always"}})"));
  // A merged key is no duplicate of an explicit one.
  EXPECT_THAT(ParseYaml("b: &b {x: 1}\nm: {x: 2, <<: *b}\n"),
              IsOkAndHolds(json::parse(R"({"b": {"x": 1}, "m": {"x": 1}})")));
  EXPECT_THAT(ErrorOf("m:\n  <<: 3\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("merge (<<) at line 2")));
  EXPECT_THAT(ErrorOf("m:\n  <<: [{a: 1}, 3]\n"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(YamlJsonTest, MultipleDocumentsAndParseYaml) {
  ASSERT_OK_AND_ASSIGN(std::vector<json> docs,
                       ParseYamlDocuments("---\na: 1\n---\n# only a comment\n---\nb: 2\n"));
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0], json::parse(R"({"a":1})"));
  EXPECT_EQ(docs[1], json::parse(R"({"b":2})"));
  EXPECT_THAT(ParseYaml("a: 1\n---\nb: 2\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("found 2")));
}

TEST(YamlJsonTest, ErrorsAreStatusesWithTheLine) {
  EXPECT_THAT(ParseYamlDocuments("a: [1, 2"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid YAML at line")));
  EXPECT_THAT(ParseYaml("a: [1, 2\nb: c"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line")));
  EXPECT_THAT(ParseYaml("a: b\n  c: d\n- e\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line")));
  EXPECT_THAT(ParseYamlDocuments("? [a]\n: 1\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a scalar")));
}

TEST(YamlJsonTest, ScalarsAndKeysMustBeUtf8) {
  // A raw 0xff byte: never valid UTF-8 (yaml-cpp or our check refuses it).
  EXPECT_THAT(ParseYamlDocuments(std::string("a: b\xff\n")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ErrorOf("a: \"caf\xc3\"\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("UTF-8")));
  EXPECT_THAT(ErrorOf("\xff: b\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("UTF-8")));
  // An encoded surrogate (U+D800) and an overlong '/' are not UTF-8 either.
  EXPECT_THAT(ErrorOf("a: \"\xed\xa0\x80\"\n"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ErrorOf("a: \"\xc0\xaf\"\n"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(ValueOf("v: caf\xc3\xa9\n"), "caf\xc3\xa9");
}

TEST(YamlJsonTest, StreamIsReadAsGoYamlReadsIt) {
  // Found by scripts/fuzz (yaml_json_fuzzer, testdata/fuzz/yaml_json/utf16-guess): "\0A" made
  // yaml-cpp guess UTF-16BE, the 0xff bytes decoded to U+FFFF, which JsonToYaml wrote as U+FFFD.
  // go-yaml reads UTF-8 unless there is a UTF-16 byte order mark, and refuses control characters.
  EXPECT_THAT(ParseYamlDocuments(std::string("\0A\xff\xff", 4)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("control characters are not allowed (byte 0)")));
  EXPECT_THAT(ParseYamlDocuments(std::string("a: \xff\xff")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not valid UTF-8 at byte 3")));
  EXPECT_THAT(ParseYamlDocuments(std::string("a: b\0", 5)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("control characters are not allowed (byte 4)")));
  EXPECT_THAT(ErrorOf("a: \"\xef\xbf\xbf\"\n"),  // U+FFFF
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("control characters")));
  EXPECT_THAT(ErrorOf("a: \x1b[31m\n"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseYamlDocuments(std::string("\xff\xfe"
                                             "a\0:\0 \0b\0",
                                             10)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("UTF-16")));
  // Tab, CR LF, NEL-free text, a UTF-8 byte order mark and U+FFFD itself are fine.
  EXPECT_EQ(ValueOf("v:\t\"x\ty\"\r\n"), "x\ty");
  EXPECT_EQ(ValueOf("\xef\xbb\xbfv: ok\n"), "ok");
  EXPECT_EQ(ValueOf("v: \xef\xbf\xbd\n"), "\xef\xbf\xbd");
  EXPECT_EQ(ValueOf("v: \xf0\x9f\x94\x8f\n"), "\xf0\x9f\x94\x8f");
}

TEST(YamlJsonTest, EveryLineBreakIsLf) {
  // Found by scripts/fuzz (testdata/fuzz/yaml_json/lone-cr): yaml-cpp read the stream "\r" as
  // the string "\r" and JsonToYaml wrote a CR unquoted. A lone CR is a line break in YAML.
  EXPECT_THAT(ParseYamlDocuments("\r"), IsOkAndHolds(::testing::IsEmpty()));
  EXPECT_EQ(ParseYaml("a: \"x\ry\"\rb: |\r  l1\r  l2\r").value(),
            nlohmann::json({{"a", "x y"}, {"b", "l1\nl2\n"}}));
  EXPECT_EQ(ParseYaml("a: 1\r\nb: |\r\n  l1\r\n").value(),
            nlohmann::json({{"a", 1}, {"b", "l1\n"}}));
  // A CR in a string is written escaped and reads back.
  nlohmann::json cr = {{"a", "p\rq"}, {"b\r", "\r"}};
  EXPECT_EQ(JsonToYaml(cr), "a: \"p\\rq\"\n\"b\\r\": \"\\r\"\n");
  EXPECT_EQ(ParseYaml(JsonToYaml(cr)).value(), cr);
}

TEST(YamlJsonTest, DepthIsBounded) {
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "[";
  for (int i = 0; i < 100; ++i) deep += "]";
  EXPECT_THAT(ParseYamlDocuments(deep),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("deeper than 64")));
  std::string very_deep(500, '[');
  very_deep += std::string(500, ']');
  EXPECT_THAT(ParseYamlDocuments(very_deep), StatusIs(absl::StatusCode::kInvalidArgument));

  // A caller's own bound: 31 nested sequences reach level 30; the scalar inside is level 31.
  YamlOptions options;
  options.max_depth = 30;
  std::string thirty_one = std::string(31, '[') + std::string(31, ']');
  EXPECT_OK(ParseYaml(thirty_one, options));
  EXPECT_THAT(ParseYaml(std::string(31, '[') + "x" + std::string(31, ']'), options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("deeper than 30")));
  options.max_depth = 200;
  EXPECT_OK(ParseYaml(deep, options));
}

TEST(YamlJsonTest, ExpandsModestAliases) {
  EXPECT_THAT(ParseYaml("base: &b {image: busybox}\nsteps: [*b, *b]\n"),
              IsOkAndHolds(json::parse(
                  R"({"base": {"image": "busybox"}, "steps": [{"image": "busybox"},
                      {"image": "busybox"}]})")));
}

TEST(YamlJsonTest, BillionLaughsIsRefusedNotExpanded) {
  std::string doc = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'j'; ++c) {
    doc += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" +
           prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" +
           prev + "]\n";
    prev = c;
  }
  EXPECT_THAT(ParseYamlDocuments(doc),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expands to more than")));
}

TEST(YamlJsonTest, DoublingAliasBombIsRefused) {
  // Each level doubles the expanded size: 2^30 nodes if expanded, a few hundred bytes of text.
  std::string yaml = "a0: &a0 [x, x]\n";
  for (int i = 1; i <= 30; ++i) {
    yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) +
            ", *a" + std::to_string(i - 1) + "]\n";
  }
  EXPECT_THAT(ParseYaml(yaml), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nodes")));
}

// yaml-cpp 0.7.0's LoadAll ran away on these (15 GiB in a minute); found by scripts/fuzz.
TEST(YamlJsonTest, StrayTopLevelCommaIsAnErrorNotARunaway) {
  EXPECT_THAT(ParseYamlDocuments("{},"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseYamlDocuments("a: 1\n---\n[],\n"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseYamlDocuments("kind: Pod\n---\n[],"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseYamlOrJson(" {},"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(YamlJsonTest, JsonIsParsedAsJson) {
  ASSERT_OK_AND_ASSIGN(std::vector<json> docs, ParseYamlOrJson("  {\"a\": [1, \"2\"]}"));
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0], json::parse(R"({"a":[1,"2"]})"));
  EXPECT_THAT(ParseYamlOrJson("{\"a\": "), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(YamlJsonTest, JsonToYamlRoundTrips) {
  json doc = json::parse(R"({"a":{"b":[1,"2","true",null,"x: y",1.5,false]},"c":"plain"})");
  std::string yaml = JsonToYaml(doc);
  EXPECT_NE(yaml.find("\"2\""), std::string::npos) << yaml;
  ASSERT_OK_AND_ASSIGN(std::vector<json> back, ParseYamlDocuments(yaml));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0], doc);
}

TEST(YamlJsonTest, JsonToYamlRoundTripsAwkwardStrings) {
  json doc = json::object();
  int i = 0;
  for (const char* s :
       {"\t",
        "a\x01b",
        " leading",
        "trailing ",
        "#x",
        "- x",
        "a\nb",
        "a\n",
        "\n",
        "x: y",
        "key: value # not a comment",
        "'",
        "\"",
        "\\",
        "[a]",
        "{a}",
        "&a",
        "*a",
        "!tag",
        "|",
        ">",
        "%x",
        "@x",
        "`x",
        "caf\xc3\xa9",
        "\xe2\x80\xa8",
        "\xef\xbb\xbf",
        "---",
        "...",
        "a very long string with many words that goes on and on past the eighty column limit of "
        "the emitter, to see whether it folds"}) {
    doc[std::string(s)] = s;
    doc["k" + std::to_string(i++)] = json::array({s});
  }
  std::string yaml = JsonToYaml(doc);
  EXPECT_THAT(ParseYaml(yaml), IsOkAndHolds(doc)) << yaml;
  // Whole documents that are one string.
  for (const char* s : {"---", "...", "# x", "", "a: b", "- a", "yes", "1"}) {
    EXPECT_THAT(ParseYaml(JsonToYaml(json(s))), IsOkAndHolds(json(s))) << JsonToYaml(json(s));
  }
}

TEST(YamlJsonTest, JsonToYamlQuotesWhatYaml11WouldRetype) {
  json doc = json::parse(R"({
    "yes": "on", "1.0": "0777", "<<": "y", "": "", "0x10": "1_000", "~": ".inf",
    "list": ["NO", "08", "1e3", ".5", "-0b1", "null", "plain", "2024-01-01"]})");
  std::string yaml = JsonToYaml(doc);
  EXPECT_THAT(yaml, HasSubstr("\"yes\": \"on\"\n"));
  EXPECT_THAT(yaml, HasSubstr("\"<<\": \"y\"\n"));
  EXPECT_THAT(yaml, HasSubstr("- plain\n"));
  EXPECT_THAT(ParseYaml(yaml), IsOkAndHolds(doc)) << yaml;
}

}  // namespace
}  // namespace hallmark
