#include "tests/apiserver/protobuf_codec.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/encoding.h"
#include "tests/apiserver/json_util.h"
#include "tests/apiserver/k8s_wire.pb.h"

namespace hallmark::tests::apiserver {
namespace {

namespace wire = ::hallmark::tests::apiserver::k8s;

constexpr absl::string_view kMagic("k8s\0", 4);

json MetaJson(const wire::ObjectMeta& m) {
  json out = json::object();
  if (!m.name().empty()) out["name"] = m.name();
  if (!m.generatename().empty()) out["generateName"] = m.generatename();
  if (!m.namespace_().empty()) out["namespace"] = m.namespace_();
  if (!m.uid().empty()) out["uid"] = m.uid();
  if (!m.resourceversion().empty()) out["resourceVersion"] = m.resourceversion();
  if (m.generation() != 0) out["generation"] = m.generation();
  if (m.has_creationtimestamp() && m.creationtimestamp().seconds() != 0) {
    out["creationTimestamp"] =
        FormatRfc3339(absl::FromUnixSeconds(m.creationtimestamp().seconds()));
  }
  if (!m.labels().empty()) {
    json labels = json::object();
    for (const auto& [k, v] : m.labels()) labels[k] = v;
    out["labels"] = labels;
  }
  if (!m.annotations().empty()) {
    json annotations = json::object();
    for (const auto& [k, v] : m.annotations()) annotations[k] = v;
    out["annotations"] = annotations;
  }
  if (m.ownerreferences_size() > 0) {
    json refs = json::array();
    for (const auto& r : m.ownerreferences()) {
      json ref = {
          {"apiVersion", r.apiversion()}, {"kind", r.kind()}, {"name", r.name()}, {"uid", r.uid()}};
      if (r.has_controller()) ref["controller"] = r.controller();
      if (r.has_blockownerdeletion()) ref["blockOwnerDeletion"] = r.blockownerdeletion();
      refs.push_back(std::move(ref));
    }
    out["ownerReferences"] = refs;
  }
  if (m.finalizers_size() > 0) {
    json f = json::array();
    for (const auto& s : m.finalizers()) f.push_back(s);
    out["finalizers"] = f;
  }
  return out;
}

template <typename Map>
json StringMapJson(const Map& m, bool base64) {
  json out = json::object();
  for (const auto& [k, v] : m) out[k] = base64 ? Base64Encode(v) : std::string(v);
  return out;
}

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("the protobuf body could not be decoded: ", what));
}

absl::StatusOr<json> DecodeSelfSubjectAccessReview(const std::string& raw, json out) {
  wire::SelfSubjectAccessReview r;
  if (!r.ParseFromString(raw)) return Malformed("bad SelfSubjectAccessReview");
  out["metadata"] = MetaJson(r.metadata());
  json spec = json::object();
  if (r.spec().has_resourceattributes()) {
    const wire::ResourceAttributes& a = r.spec().resourceattributes();
    json attrs = json::object();
    for (const auto& [key, value] :
         {std::pair<const char*, const std::string*>{"namespace", &a.namespace_()},
          {"verb", &a.verb()},
          {"group", &a.group()},
          {"version", &a.version()},
          {"resource", &a.resource()},
          {"subresource", &a.subresource()},
          {"name", &a.name()}}) {
      if (!value->empty()) attrs[key] = *value;
    }
    spec["resourceAttributes"] = attrs;
  }
  if (r.spec().has_nonresourceattributes()) {
    spec["nonResourceAttributes"] = {{"path", r.spec().nonresourceattributes().path()},
                                     {"verb", r.spec().nonresourceattributes().verb()}};
  }
  out["spec"] = spec;
  return out;
}

}  // namespace

absl::StatusOr<json> DecodeProtobufObject(absl::string_view body) {
  if (body.size() < kMagic.size() || body.substr(0, kMagic.size()) != kMagic) {
    return Malformed("missing the \"k8s\\0\" prefix");
  }
  wire::Unknown unknown;
  absl::string_view rest = body.substr(kMagic.size());
  if (!unknown.ParseFromArray(rest.data(), static_cast<int>(rest.size()))) {
    return Malformed("bad runtime.Unknown envelope");
  }
  const std::string& api_version = unknown.typemeta().apiversion();
  const std::string& kind = unknown.typemeta().kind();
  const std::string& raw = unknown.raw();
  json out = {{"apiVersion", api_version}, {"kind", kind}};
  if (api_version == "authorization.k8s.io/v1" && kind == "SelfSubjectAccessReview") {
    return DecodeSelfSubjectAccessReview(raw, std::move(out));
  }
  if (api_version != "v1") {
    return absl::UnimplementedError(absl::StrCat(api_version, "/", kind));
  }
  if (kind == "Namespace") {
    wire::Namespace ns;
    if (!ns.ParseFromString(raw)) return Malformed("bad Namespace");
    out["metadata"] = MetaJson(ns.metadata());
    if (ns.spec().finalizers_size() > 0) {
      json f = json::array();
      for (const auto& s : ns.spec().finalizers()) f.push_back(s);
      out["spec"] = {{"finalizers", f}};
    }
  } else if (kind == "ConfigMap") {
    wire::ConfigMap cm;
    if (!cm.ParseFromString(raw)) return Malformed("bad ConfigMap");
    out["metadata"] = MetaJson(cm.metadata());
    if (!cm.data().empty()) out["data"] = StringMapJson(cm.data(), false);
    if (!cm.binarydata().empty()) out["binaryData"] = StringMapJson(cm.binarydata(), true);
    if (cm.has_immutable()) out["immutable"] = cm.immutable();
  } else if (kind == "Secret") {
    wire::Secret s;
    if (!s.ParseFromString(raw)) return Malformed("bad Secret");
    out["metadata"] = MetaJson(s.metadata());
    if (!s.data().empty()) out["data"] = StringMapJson(s.data(), true);
    if (!s.stringdata().empty()) out["stringData"] = StringMapJson(s.stringdata(), false);
    if (!s.type().empty()) out["type"] = s.type();
    if (s.has_immutable()) out["immutable"] = s.immutable();
  } else if (kind == "ServiceAccount") {
    wire::ServiceAccount sa;
    if (!sa.ParseFromString(raw)) return Malformed("bad ServiceAccount");
    out["metadata"] = MetaJson(sa.metadata());
    if (sa.secrets_size() > 0) {
      json list = json::array();
      for (const auto& r : sa.secrets()) {
        json ref = json::object();
        if (r.has_kind()) ref["kind"] = r.kind();
        if (r.has_namespace_()) ref["namespace"] = r.namespace_();
        if (r.has_name()) ref["name"] = r.name();
        list.push_back(std::move(ref));
      }
      out["secrets"] = list;
    }
    if (sa.imagepullsecrets_size() > 0) {
      json list = json::array();
      for (const auto& r : sa.imagepullsecrets()) list.push_back({{"name", r.name()}});
      out["imagePullSecrets"] = list;
    }
    if (sa.has_automountserviceaccounttoken()) {
      out["automountServiceAccountToken"] = sa.automountserviceaccounttoken();
    }
  } else {
    return absl::UnimplementedError(absl::StrCat(api_version, "/", kind));
  }
  return out;
}

}  // namespace hallmark::tests::apiserver
