#include "verifier/policy/testing/signing.h"

#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/status_macros.h"
#include "crypto/dsse.h"
#include "crypto/simple_signing.h"
#include "oci/content_digest.h"
#include "oci/manifest.h"
#include "oci/media_types.h"

namespace hallmark::verifier::policy::testing {

using nlohmann::json;

absl::StatusOr<AttachmentLayer> SignatureLayer(
    const crypto::PrivateKey& key, const std::string& docker_reference, const oci::Digest& digest,
    const std::map<std::string, std::string>& annotations) {
  HM_ASSIGN_OR_RETURN(std::string payload, crypto::SimpleSigningPayload::Build(
                                               docker_reference, digest.String(), annotations));
  HM_ASSIGN_OR_RETURN(std::string signature, key.Sign(payload));
  oci::Descriptor d(std::string(oci::kCosignSimpleSigningMediaType), oci::Sha256Of(payload),
                    static_cast<int64_t>(payload.size()));
  d.annotations[std::string(oci::kCosignSignatureAnnotation)] = Base64Encode(signature);
  return AttachmentLayer{std::move(d), payload, absl::OkStatus()};
}

json Statement(const std::string& predicate_type, const std::string& subject_name,
               const oci::Digest& digest, const json& predicate) {
  return json{
      {"_type", "https://in-toto.io/Statement/v0.1"},
      {"predicateType", predicate_type},
      {"subject",
       json::array({{{"name", subject_name}, {"digest", {{digest.algorithm(), digest.hex()}}}}})},
      {"predicate", predicate}};
}

absl::StatusOr<AttachmentLayer> AttestationLayer(const crypto::PrivateKey& key,
                                                 const json& statement) {
  HM_ASSIGN_OR_RETURN(std::string envelope,
                      crypto::SignDsseEnvelope(key, crypto::kInTotoPayloadType, statement.dump()));
  oci::Descriptor d(std::string(oci::kDsseEnvelopeMediaType), oci::Sha256Of(envelope),
                    static_cast<int64_t>(envelope.size()));
  d.annotations[std::string(oci::kCosignSignatureAnnotation)] = "";
  d.annotations[std::string(oci::kPredicateTypeAnnotation)] =
      statement.contains("predicateType") && statement["predicateType"].is_string()
          ? statement["predicateType"].get<std::string>()
          : "";
  return AttachmentLayer{std::move(d), envelope, absl::OkStatus()};
}

absl::Status PushAttachments(oci::RegistryClient& client, const oci::Repository& repo,
                             const oci::Digest& digest, AttachmentKind kind,
                             const std::vector<AttachmentLayer>& layers) {
  json diff_ids = json::array();
  json history = json::array();
  for (const AttachmentLayer& l : layers) {
    HM_RETURN_IF_ERROR(client.UploadBlob(repo, l.descriptor.digest, l.blob));
    diff_ids.push_back(l.descriptor.digest.String());
    history.push_back({{"created", "0001-01-01T00:00:00Z"}});
  }
  std::string config = json{
      {"architecture", ""},
      {"created", "0001-01-01T00:00:00Z"},
      {"history", history},
      {"os", ""},
      {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}},
      {"config",
       json::object()}}.dump();
  HM_RETURN_IF_ERROR(client.UploadBlob(repo, oci::Sha256Of(config), config));
  oci::ImageManifest m(oci::Descriptor(std::string(oci::kOciConfigMediaType), oci::Sha256Of(config),
                                       static_cast<int64_t>(config.size())));
  m.media_type = std::string(oci::kOciManifestMediaType);
  for (const AttachmentLayer& l : layers) m.layers.push_back(l.descriptor);
  const std::string tag =
      kind == AttachmentKind::kSignatures ? oci::SignatureTag(digest) : oci::AttestationTag(digest);
  return client.PutManifest(repo, tag, m.Serialize(), oci::kOciManifestMediaType).status();
}

}  // namespace hallmark::verifier::policy::testing
