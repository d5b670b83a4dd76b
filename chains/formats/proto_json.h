// File: chains/formats/proto_json.h
//
// Glue between nlohmann::json trees (how runs are parsed), protobuf messages (how statements are
// typed) and protobuf's JSON mapping (how they are written). protobuf 3.21 reports errors with its
// own util::Status; these helpers turn them into absl::Status.
#ifndef HALLMARK_CHAINS_FORMATS_PROTO_JSON_H_
#define HALLMARK_CHAINS_FORMATS_PROTO_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "nlohmann/json.hpp"

namespace hallmark::chains::formats {

// ToProtoValue / ToProtoStruct: a JSON tree as google.protobuf.Value / Struct. Numbers become
// doubles (as in Go's structpb). ToProtoStruct of a non-object gives an empty Struct.
google::protobuf::Value ToProtoValue(const nlohmann::json& value);
google::protobuf::Struct ToProtoStruct(const nlohmann::json& object);

// MessageToStruct: `message` through protobuf's JSON mapping into a Struct (what Chains does with
// its typed predicates). kInternal if protobuf cannot print or re-read it.
absl::StatusOr<google::protobuf::Struct> MessageToStruct(const google::protobuf::Message& message);

// SerializeJson: protobuf's JSON for `message`, compact, or indented when `pretty`. kInternal on
// failure.
absl::StatusOr<std::string> SerializeJson(const google::protobuf::Message& message,
                                          bool pretty = false);

// ToTimestamp: whole seconds and nanoseconds of `t`.
google::protobuf::Timestamp ToTimestamp(absl::Time t);

// GoTimeString: `t` in UTC as Go's time.Time marshals it (RFC 3339 with "Z" and only the
// fractional digits needed), e.g. "2021-03-29T09:50:00Z".
std::string GoTimeString(absl::Time t);

}  // namespace hallmark::chains::formats

#endif  // HALLMARK_CHAINS_FORMATS_PROTO_JSON_H_
