// File: tests/apiserver/protobuf_codec.h
//
// Decoding of Kubernetes' protobuf request bodies (application/vnd.kubernetes.protobuf) for the
// kinds typed kubectl commands create: v1 Namespace, ConfigMap, Secret and ServiceAccount
// (`kubectl create namespace|configmap|secret|serviceaccount`) and authorization.k8s.io/v1
// SelfSubjectAccessReview (`kubectl auth can-i`). Everything else is sent as JSON
// by kubectl and the clients we test; other kinds get a 415 naming what is supported.
#ifndef HALLMARK_TESTS_APISERVER_PROTOBUF_CODEC_H_
#define HALLMARK_TESTS_APISERVER_PROTOBUF_CODEC_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace hallmark::tests::apiserver {

// DecodeProtobufObject: the JSON form of a protobuf-encoded object ("k8s\0" + runtime.Unknown).
// kInvalidArgument for a malformed body; kUnimplemented for a kind outside the list above.
absl::StatusOr<nlohmann::json> DecodeProtobufObject(absl::string_view body);

}  // namespace hallmark::tests::apiserver

#endif  // HALLMARK_TESTS_APISERVER_PROTOBUF_CODEC_H_
