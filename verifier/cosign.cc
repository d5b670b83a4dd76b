#include "verifier/cosign.h"

#include <exception>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/encoding.h"
#include "base/status_macros.h"
#include "crypto/dsse.h"
#include "nlohmann/json.hpp"
#include "oci/media_types.h"

namespace hallmark::verifier {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

constexpr char kFailurePayload[] = "type.hallmark.dev/hallmark.verifier.Failure";
constexpr absl::string_view kStatementV01 = "https://in-toto.io/Statement/v0.1";
constexpr absl::string_view kStatementV1 = "https://in-toto.io/Statement/v1";

bool IsStdBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// GoBase64Error: Go's base64.CorruptInputError text for `text`: the offset of the first byte
// that is not in the standard alphabet, or where the padding goes wrong.
std::string GoBase64Error(absl::string_view text) {
  size_t offset = text.size();
  size_t first_pad = text.find('=');
  for (size_t i = 0; i < text.size(); ++i) {
    if (!IsStdBase64Char(text[i]) && text[i] != '=') {
      offset = i;
      break;
    }
    if (first_pad != absl::string_view::npos && i > first_pad && text[i] != '=') {
      offset = first_pad;
      break;
    }
  }
  if (offset == text.size()) {
    if (text.size() % 4 != 0) {
      offset = text.size() - text.size() % 4;
    } else if (first_pad != absl::string_view::npos) {
      offset = first_pad;
    } else {
      offset = text.empty() ? 0 : text.size() - 1;
    }
  }
  return absl::StrCat("illegal base64 data at input byte ", offset);
}

absl::Status Fail(absl::string_view message) { return absl::InvalidArgumentError(message); }

absl::Status CheckLayerBytes(const AttachmentLayer& layer, const CheckOptions& options) {
  if (!layer.fetch_error.ok()) return Fail(layer.fetch_error.message());
  if (layer.blob.size() > options.max_layer_bytes) {
    return Fail(absl::StrCat("size of layer (", layer.blob.size(), ") exceeded the limit (",
                             options.max_layer_bytes, ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckSignatureAnnotation(const oci::Descriptor& d) {
  if (d.Annotation(oci::kCosignSignatureAnnotation).has_value()) return absl::OkStatus();
  return Fail(absl::StrCat("signature layer ", d.digest.String(), " is missing \"",
                           oci::kCosignSignatureAnnotation, "\" annotation"));
}

absl::Status CheckCommon(size_t layers, absl::Span<const crypto::PublicKey> keys,
                         const CheckOptions& options) {
  if (keys.empty()) return absl::InvalidArgumentError("no trusted keys");
  if (layers > options.max_layers) {
    return absl::FailedPreconditionError(absl::StrCat(
        "number of layers (", layers, ") exceeded the limit (", options.max_layers, ")"));
  }
  return absl::OkStatus();
}

// SubjectMatches: the in-toto Statement in `statement` names `image_digest` as a subject
// (cosign's IntotoSubjectClaimVerifier; other digest algorithms are skipped). Also returns its
// predicateType.
absl::StatusOr<std::string> CheckStatement(absl::string_view statement,
                                           const oci::Digest& image_digest) {
  Json j;
  try {
    j = Json::parse(statement.begin(), statement.end(), nullptr, /*allow_exceptions=*/false);
  } catch (const std::exception&) {
    j = Json(Json::value_t::discarded);
  }
  if (j.is_discarded() || !j.is_object())
    return Fail("invalid in-toto statement: not a JSON object");
  auto type = j.find("_type");
  if (type == j.end() || !type->is_string() ||
      (type->get_ref<const std::string&>() != kStatementV01 &&
       type->get_ref<const std::string&>() != kStatementV1)) {
    return Fail("invalid in-toto statement: _type is not an in-toto Statement");
  }
  auto predicate_type = j.find("predicateType");
  if (predicate_type == j.end() || !predicate_type->is_string() ||
      predicate_type->get_ref<const std::string&>().empty()) {
    return Fail("invalid in-toto statement: no predicateType");
  }
  auto subjects = j.find("subject");
  if (subjects == j.end() || !subjects->is_array()) {
    return Fail("invalid in-toto statement: subject is not an array");
  }
  for (const Json& subject : *subjects) {
    if (!subject.is_object()) continue;
    auto digest = subject.find("digest");
    if (digest == subject.end() || !digest->is_object()) continue;
    auto sha256 = digest->find("sha256");
    if (sha256 == digest->end() || !sha256->is_string()) continue;
    if (image_digest.algorithm() == "sha256" &&
        sha256->get_ref<const std::string&>() == image_digest.hex()) {
      return predicate_type->get<std::string>();
    }
  }
  return Fail("no matching subject digest found");
}

}  // namespace

Failure FailureOf(const absl::Status& status) {
  if (status.ok()) return Failure::kNone;
  auto payload = status.GetPayload(kFailurePayload);
  int value = 0;
  if (!payload.has_value() || !absl::SimpleAtoi(std::string(*payload), &value) || value < 0 ||
      value > static_cast<int>(Failure::kNoMatchingPredicate)) {
    return Failure::kOther;
  }
  return static_cast<Failure>(value);
}

absl::Status WithFailure(absl::Status status, Failure failure) {
  status.SetPayload(kFailurePayload, absl::Cord(absl::StrCat(static_cast<int>(failure))));
  return status;
}

absl::StatusOr<VerifiedSignature> VerifySignatureLayer(const AttachmentLayer& layer,
                                                       absl::Span<const crypto::PublicKey> keys,
                                                       const oci::Digest& image_digest,
                                                       const CheckOptions& options) {
  if (keys.empty()) return absl::InvalidArgumentError("no trusted keys");
  HM_RETURN_IF_ERROR(CheckSignatureAnnotation(layer.descriptor));
  std::optional<std::string> b64 = layer.descriptor.Annotation(oci::kCosignSignatureAnnotation);
  absl::StatusOr<std::string> signature = Base64Decode(b64.value_or(""));
  if (!signature.ok()) return Fail(GoBase64Error(b64.value_or("")));
  HM_RETURN_IF_ERROR(CheckLayerBytes(layer, options));

  absl::Status verified = absl::OkStatus();
  size_t key_index = 0;
  for (; key_index < keys.size(); ++key_index) {
    absl::Status s = keys[key_index].Verify(layer.blob, *signature, options.hash);
    if (s.ok()) break;
    if (key_index == 0) verified = s;
  }
  if (key_index == keys.size()) return Fail(verified.message());

  absl::StatusOr<crypto::SimpleSigningPayload> claims =
      crypto::SimpleSigningPayload::ParseLenient(layer.blob);
  if (!claims.ok()) return Fail(claims.status().message());
  if (claims->manifest_digest != image_digest.String()) {
    return Fail(absl::StrCat("invalid or missing digest in claim: ", claims->manifest_digest));
  }
  for (const auto& [key, value] : options.annotations) {
    auto it = claims->annotations.find(key);
    if (it == claims->annotations.end() || it->second != value) {
      return Fail("missing or incorrect annotation");
    }
  }
  return VerifiedSignature{layer.blob, *std::move(claims), layer.descriptor.digest, key_index};
}

absl::StatusOr<std::vector<VerifiedSignature>> VerifyImageSignatures(
    absl::Span<const AttachmentLayer> layers, absl::Span<const crypto::PublicKey> keys,
    const oci::Digest& image_digest, const CheckOptions& options) {
  HM_RETURN_IF_ERROR(CheckCommon(layers.size(), keys, options));
  if (layers.empty()) {
    return WithFailure(absl::NotFoundError("no signatures found"), Failure::kNoSignatures);
  }
  std::vector<VerifiedSignature> verified;
  std::vector<std::string> errors;
  for (const AttachmentLayer& layer : layers) {
    absl::StatusOr<VerifiedSignature> one =
        VerifySignatureLayer(layer, keys, image_digest, options);
    if (one.ok()) {
      verified.push_back(*std::move(one));
    } else {
      errors.emplace_back(one.status().message());
    }
  }
  if (verified.empty()) {
    return WithFailure(absl::PermissionDeniedError(
                           absl::StrCat("no matching signatures: ", absl::StrJoin(errors, "\n "))),
                       Failure::kNoMatchingSignatures);
  }
  return verified;
}

absl::StatusOr<VerifiedAttestation> VerifyAttestationLayer(const AttachmentLayer& layer,
                                                           absl::Span<const crypto::PublicKey> keys,
                                                           const oci::Digest& image_digest,
                                                           const CheckOptions& options) {
  if (keys.empty()) return absl::InvalidArgumentError("no trusted keys");
  HM_RETURN_IF_ERROR(CheckSignatureAnnotation(layer.descriptor));
  HM_RETURN_IF_ERROR(CheckLayerBytes(layer, options));
  absl::StatusOr<crypto::DsseEnvelope> envelope = crypto::DsseEnvelope::Parse(layer.blob);
  if (!envelope.ok()) return Fail(envelope.status().message());
  if (envelope->payload_type != crypto::kInTotoPayloadType) {
    return Fail(absl::StrCat("invalid payloadType ", envelope->payload_type,
                             " on envelope. Expected ", crypto::kInTotoPayloadType));
  }
  absl::StatusOr<crypto::DsseVerified> dsse =
      crypto::VerifyDsseEnvelope(*envelope, keys, options.hash);
  if (!dsse.ok()) return Fail(dsse.status().message());
  HM_ASSIGN_OR_RETURN(std::string predicate_type, CheckStatement(dsse->payload, image_digest));
  return VerifiedAttestation{layer.blob, std::move(dsse->payload), std::move(predicate_type),
                             layer.descriptor.digest, dsse->key_index};
}

absl::StatusOr<std::vector<VerifiedAttestation>> VerifyImageAttestations(
    absl::Span<const AttachmentLayer> layers, absl::Span<const crypto::PublicKey> keys,
    const oci::Digest& image_digest, const CheckOptions& options) {
  HM_RETURN_IF_ERROR(CheckCommon(layers.size(), keys, options));
  std::vector<VerifiedAttestation> verified;
  std::vector<std::string> errors;
  for (const AttachmentLayer& layer : layers) {
    absl::StatusOr<VerifiedAttestation> one =
        VerifyAttestationLayer(layer, keys, image_digest, options);
    if (one.ok()) {
      verified.push_back(*std::move(one));
    } else {
      errors.emplace_back(one.status().message());
    }
  }
  if (verified.empty()) {
    return WithFailure(absl::PermissionDeniedError(absl::StrCat("no matching attestations: ",
                                                                absl::StrJoin(errors, "\n "))),
                       Failure::kNoMatchingAttestations);
  }
  return verified;
}

absl::StatusOr<std::vector<VerifiedAttestation>> FilterByPredicateType(
    std::vector<VerifiedAttestation> verified, absl::string_view predicate_uri,
    absl::string_view as_typed) {
  std::vector<VerifiedAttestation> kept;
  std::vector<std::string> found;
  for (VerifiedAttestation& a : verified) {
    if (a.predicate_type == predicate_uri) {
      kept.push_back(std::move(a));
    } else {
      found.push_back(a.predicate_type);
    }
  }
  if (kept.empty()) {
    return WithFailure(absl::PermissionDeniedError(absl::StrCat(
                           "none of the attestations matched the predicate type: ", as_typed,
                           ", found: ", absl::StrJoin(found, ","))),
                       Failure::kNoMatchingPredicate);
  }
  return kept;
}

std::string CosignVerifyOutput(const std::vector<VerifiedSignature>& verified) {
  OrderedJson out = OrderedJson::array();
  for (const VerifiedSignature& v : verified) {
    OrderedJson critical = OrderedJson::object();
    critical["identity"] = {{"docker-reference", v.claims.docker_reference}};
    critical["image"] = {{"docker-manifest-digest", v.claims.manifest_digest}};
    critical["type"] = v.claims.type;
    OrderedJson entry = OrderedJson::object();
    entry["critical"] = std::move(critical);
    entry["optional"] = nullptr;
    // `optional` as found (any JSON values; keys sorted as Go re-marshals a map).
    Json raw = Json::parse(v.payload, nullptr, /*allow_exceptions=*/false);
    if (raw.is_object()) {
      auto optional = raw.find("optional");
      if (optional != raw.end() && optional->is_object()) {
        entry["optional"] = OrderedJson::parse(optional->dump(), nullptr, false);
      }
    }
    out.push_back(std::move(entry));
  }
  return out.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

}  // namespace hallmark::verifier
