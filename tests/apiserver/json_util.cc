#include "tests/apiserver/json_util.h"

#include <cstdint>
#include <cstdio>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "base/yaml_json.h"

namespace hallmark::tests::apiserver {

namespace {

YamlOptions KubeYamlOptions() {
  YamlOptions options;
  options.max_depth = 200;
  options.last_duplicate_key_wins = true;
  return options;
}

absl::Status YamlError(const absl::Status& status) {
  return absl::InvalidArgumentError(
      absl::StrCat("error converting YAML to JSON: ", status.message()));
}

}  // namespace

absl::StatusOr<json> ParseKubeYaml(absl::string_view text) {
  absl::StatusOr<json> doc = ParseYaml(text, KubeYamlOptions());
  if (!doc.ok()) return YamlError(doc.status());
  return doc;
}

absl::StatusOr<std::vector<json>> ParseKubeYamlDocuments(absl::string_view text) {
  absl::StatusOr<std::vector<json>> docs = ParseYamlDocuments(text, KubeYamlOptions());
  if (!docs.ok()) return YamlError(docs.status());
  return docs;
}

absl::StatusOr<json> ParseJson(absl::string_view text) {
  // The SAX error handler gives the position; with allow_exceptions=false nlohmann only says
  // "discarded", so parse once more through the exception-free sax interface for the message.
  json value = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    struct ErrorSax : nlohmann::json_sax<json> {
      std::string message;
      bool null() override { return true; }
      bool boolean(bool) override { return true; }
      bool number_integer(number_integer_t) override { return true; }
      bool number_unsigned(number_unsigned_t) override { return true; }
      bool number_float(number_float_t, const string_t&) override { return true; }
      bool string(string_t&) override { return true; }
      bool binary(binary_t&) override { return true; }
      bool start_object(std::size_t) override { return true; }
      bool key(string_t&) override { return true; }
      bool end_object() override { return true; }
      bool start_array(std::size_t) override { return true; }
      bool end_array() override { return true; }
      bool parse_error(std::size_t position, const std::string&,
                       const nlohmann::detail::exception& ex) override {
        message = absl::StrCat("invalid JSON at byte ", position, ": ", ex.what());
        return false;
      }
    } sax;
    json::sax_parse(text.begin(), text.end(), &sax, nlohmann::detail::input_format_t::json,
                    /*strict=*/true);
    return absl::InvalidArgumentError(sax.message.empty() ? "invalid JSON" : sax.message);
  }
  return value;
}

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

const json* Member(const json& object, absl::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(std::string(key));
  if (it == object.end()) return nullptr;
  return &*it;
}

json* MutableMember(json& object, absl::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(std::string(key));
  if (it == object.end()) return nullptr;
  return &*it;
}

const json* Path(const json& object, std::initializer_list<absl::string_view> keys) {
  const json* cur = &object;
  for (absl::string_view k : keys) {
    cur = Member(*cur, k);
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

std::string StringAt(const json& object, std::initializer_list<absl::string_view> keys) {
  const json* v = Path(object, keys);
  if (v == nullptr || !v->is_string()) return "";
  return v->get_ref<const std::string&>();
}

json* EnsureObject(json& object, absl::string_view key) {
  if (!object.is_object()) return nullptr;
  json& member = object[std::string(key)];
  if (member.is_null()) member = json::object();
  if (!member.is_object()) return nullptr;
  return &member;
}

std::map<std::string, std::string> StringMap(const json* object) {
  std::map<std::string, std::string> out;
  if (object == nullptr || !object->is_object()) return out;
  for (auto it = object->begin(); it != object->end(); ++it) {
    if (it.value().is_string()) out[it.key()] = it.value().get_ref<const std::string&>();
  }
  return out;
}

std::vector<std::string> StringList(const json* array) {
  std::vector<std::string> out;
  if (array == nullptr || !array->is_array()) return out;
  for (const auto& v : *array) {
    if (v.is_string()) out.push_back(v.get_ref<const std::string&>());
  }
  return out;
}

std::string FormatRfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::string NewUid() {
  static absl::Mutex mu(absl::kConstInit);
  static absl::BitGen* gen = new absl::BitGen();
  uint64_t hi, lo;
  {
    absl::MutexLock lock(&mu);
    hi = absl::Uniform<uint64_t>(*gen);
    lo = absl::Uniform<uint64_t>(*gen);
  }
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff,
                         lo >> 48, lo & 0xffffffffffffULL);
}

std::string RandomSuffix(int n) {
  // apimachinery/pkg/util/rand: no vowels (no words), no confusable characters.
  static constexpr absl::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  static absl::Mutex mu(absl::kConstInit);
  static absl::BitGen* gen = new absl::BitGen();
  std::string out;
  absl::MutexLock lock(&mu);
  for (int i = 0; i < n; ++i) {
    out.push_back(kAlphabet[absl::Uniform<size_t>(*gen, 0, kAlphabet.size())]);
  }
  return out;
}

std::string GoQuote(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += absl::StrFormat("\\x%02x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  return out;
}

std::string JsonTypeName(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer";
    case json::value_t::number_float:
      return "number";
    case json::value_t::string:
      return "string";
    case json::value_t::array:
      return "array";
    case json::value_t::object:
      return "object";
    default:
      return "unknown";
  }
}

}  // namespace hallmark::tests::apiserver
