#include "crypto/dsse.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/status_macros.h"
#include "crypto/internal/go_json.h"
#include "crypto/internal/json.h"
#include "nlohmann/json.hpp"

namespace hallmark::crypto {
namespace {

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("DSSE envelope: ", what));
}

}  // namespace

std::string DssePae(absl::string_view payload_type, absl::string_view payload) {
  return absl::StrCat("DSSEv1 ", payload_type.size(), " ", payload_type, " ", payload.size(), " ",
                      payload);
}

absl::StatusOr<DsseEnvelope> DsseEnvelope::Parse(absl::string_view text) {
  if (text.size() > kMaxDsseEnvelopeBytes) return Invalid("too large");
  absl::StatusOr<nlohmann::json> doc = internal::ParseJson(text);
  if (!doc.ok()) return Invalid(doc.status().message());
  if (!doc->is_object()) return Invalid("not a JSON object");

  DsseEnvelope out;
  auto type = doc->find("payloadType");
  if (type == doc->end() || !type->is_string()) return Invalid("payloadType must be a string");
  out.payload_type = type->get<std::string>();

  auto payload = doc->find("payload");
  if (payload == doc->end() || !payload->is_string()) return Invalid("payload must be a string");
  absl::StatusOr<std::string> body = Base64DecodeLenient(payload->get_ref<const std::string&>());
  if (!body.ok()) return Invalid("payload is not base64");
  out.payload = *std::move(body);

  auto sigs = doc->find("signatures");
  if (sigs == doc->end() || !sigs->is_array()) return Invalid("signatures must be an array");
  if (sigs->size() > kMaxDsseSignatures) {
    return Invalid(absl::StrCat("more than ", kMaxDsseSignatures, " signatures"));
  }
  for (size_t i = 0; i < sigs->size(); ++i) {
    const nlohmann::json& s = (*sigs)[i];
    if (!s.is_object()) return Invalid(absl::StrCat("signatures[", i, "] is not an object"));
    DsseSignature sig;
    auto keyid = s.find("keyid");
    if (keyid != s.end() && !keyid->is_null()) {
      if (!keyid->is_string()) return Invalid(absl::StrCat("signatures[", i, "].keyid"));
      sig.keyid = keyid->get<std::string>();
    }
    auto value = s.find("sig");
    if (value == s.end() || !value->is_string()) {
      return Invalid(absl::StrCat("signatures[", i, "].sig must be a string"));
    }
    absl::StatusOr<std::string> bytes = Base64DecodeLenient(value->get_ref<const std::string&>());
    if (!bytes.ok()) return Invalid(absl::StrCat("signatures[", i, "].sig is not base64"));
    sig.sig = *std::move(bytes);
    out.signatures.push_back(std::move(sig));
  }
  return out;
}

std::string DsseEnvelope::Serialize() const {
  std::string out = absl::StrCat(R"({"payloadType":)", internal::GoJsonQuote(payload_type),
                                 R"(,"payload":")", Base64Encode(payload), R"(","signatures":[)");
  for (size_t i = 0; i < signatures.size(); ++i) {
    absl::StrAppend(&out, i == 0 ? "" : ",", R"({"keyid":)",
                    internal::GoJsonQuote(signatures[i].keyid), R"(,"sig":")",
                    Base64Encode(signatures[i].sig), R"("})");
  }
  absl::StrAppend(&out, "]}");
  return out;
}

absl::StatusOr<std::string> SignDsseEnvelope(const PrivateKey& key, absl::string_view payload_type,
                                             absl::string_view payload, absl::string_view keyid,
                                             HashAlgorithm hash) {
  HM_ASSIGN_OR_RETURN(std::string sig, key.Sign(DssePae(payload_type, payload), hash));
  DsseEnvelope envelope;
  envelope.payload_type = std::string(payload_type);
  envelope.payload = std::string(payload);
  envelope.signatures.push_back(DsseSignature{std::string(keyid), std::move(sig)});
  return envelope.Serialize();
}

absl::StatusOr<DsseVerified> VerifyDsseEnvelope(const DsseEnvelope& envelope,
                                                absl::Span<const PublicKey> keys,
                                                HashAlgorithm hash) {
  if (envelope.signatures.empty()) return absl::InvalidArgumentError("no signature found");
  if (keys.empty()) return absl::InvalidArgumentError("no trusted keys");
  const std::string pae = DssePae(envelope.payload_type, envelope.payload);
  for (size_t s = 0; s < envelope.signatures.size(); ++s) {
    for (size_t k = 0; k < keys.size(); ++k) {
      if (keys[k].Verify(pae, envelope.signatures[s].sig, hash).ok()) {
        return DsseVerified{envelope.payload_type, envelope.payload, k, s};
      }
    }
  }
  return absl::InvalidArgumentError(
      "accepted signatures do not match threshold, Found: 0, Expected 1");
}

}  // namespace hallmark::crypto
