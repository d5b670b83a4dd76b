#include "chains/formats/proto_json.h"

#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver.h"
#include "google/protobuf/util/type_resolver_util.h"

namespace hallmark::chains::formats {

using nlohmann::json;

google::protobuf::Value ToProtoValue(const json& value) {
  google::protobuf::Value out;
  switch (value.type()) {
    case json::value_t::object:
      *out.mutable_struct_value() = ToProtoStruct(value);
      break;
    case json::value_t::array: {
      google::protobuf::ListValue* list = out.mutable_list_value();
      for (const json& item : value) *list->add_values() = ToProtoValue(item);
      break;
    }
    case json::value_t::string:
      out.set_string_value(value.get_ref<const std::string&>());
      break;
    case json::value_t::boolean:
      out.set_bool_value(value.get<bool>());
      break;
    case json::value_t::number_integer:
      out.set_number_value(static_cast<double>(value.get<int64_t>()));
      break;
    case json::value_t::number_unsigned:
      out.set_number_value(static_cast<double>(value.get<uint64_t>()));
      break;
    case json::value_t::number_float:
      out.set_number_value(value.get<double>());
      break;
    default:
      out.set_null_value(google::protobuf::NULL_VALUE);
  }
  return out;
}

google::protobuf::Struct ToProtoStruct(const json& object) {
  google::protobuf::Struct out;
  if (!object.is_object()) return out;
  auto* fields = out.mutable_fields();
  for (auto it = object.begin(); it != object.end(); ++it) {
    (*fields)[it.key()] = ToProtoValue(*it);
  }
  return out;
}

absl::StatusOr<std::string> SerializeJson(const google::protobuf::Message& message, bool pretty) {
  // What MessageToJsonString does, but with a DETERMINISTIC binary step: map entries (every
  // google.protobuf.Struct of a predicate) come out sorted by key - as Go's protojson writes
  // Structs - instead of in hash order, which differs between two maps with the same content.
  // So the same run always gives the same statement bytes: the agent relies on that to recognise
  // an attestation it pushed before a crash (storage/oci_backend.h dedupe).
  std::string binary;
  {
    google::protobuf::io::StringOutputStream raw(&binary);
    google::protobuf::io::CodedOutputStream coded(&raw);
    coded.SetSerializationDeterministic(true);
    if (!message.SerializeToCodedStream(&coded)) {
      return absl::InternalError(absl::StrCat("cannot serialise ", message.GetTypeName()));
    }
  }
  const google::protobuf::DescriptorPool* pool = message.GetDescriptor()->file()->pool();
  static google::protobuf::util::TypeResolver* const generated =
      google::protobuf::util::NewTypeResolverForDescriptorPool(
          "type.googleapis.com", google::protobuf::DescriptorPool::generated_pool());
  std::unique_ptr<google::protobuf::util::TypeResolver> other;
  google::protobuf::util::TypeResolver* resolver = generated;
  if (pool != google::protobuf::DescriptorPool::generated_pool()) {
    other.reset(
        google::protobuf::util::NewTypeResolverForDescriptorPool("type.googleapis.com", pool));
    resolver = other.get();
  }
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  auto status = google::protobuf::util::BinaryToJsonString(
      resolver, absl::StrCat("type.googleapis.com/", message.GetDescriptor()->full_name()), binary,
      &out, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot write ", message.GetTypeName(), " as JSON: ", status.ToString()));
  }
  return out;
}

absl::StatusOr<google::protobuf::Struct> MessageToStruct(const google::protobuf::Message& message) {
  absl::StatusOr<std::string> text = SerializeJson(message);
  if (!text.ok()) return text.status();
  google::protobuf::Struct out;
  auto status = google::protobuf::util::JsonStringToMessage(*text, &out);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("cannot read ", message.GetTypeName(),
                                            " JSON back as a Struct: ", status.ToString()));
  }
  return out;
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  int64_t seconds = absl::ToUnixSeconds(t);
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds))));
  return ts;
}

std::string GoTimeString(absl::Time t) {
  std::string out = absl::FormatTime("%Y-%m-%dT%H:%M:%S", t, absl::UTCTimeZone());
  int64_t seconds = absl::ToUnixSeconds(t);
  int64_t nanos = absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds));
  if (nanos > 0) {
    std::string frac = absl::StrFormat("%09d", nanos);
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    absl::StrAppend(&out, ".", frac);
  }
  out.push_back('Z');
  return out;
}

}  // namespace hallmark::chains::formats
