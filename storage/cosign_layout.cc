#include "storage/cosign_layout.h"

#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "oci/content_digest.h"
#include "oci/media_types.h"

namespace hallmark::storage {
namespace {

void AddCertificate(oci::Descriptor& d, absl::string_view certificate, absl::string_view chain) {
  if (!certificate.empty()) {
    d.annotations[std::string(oci::kCosignCertificateAnnotation)] = std::string(certificate);
  }
  if (!chain.empty()) d.annotations[std::string(oci::kCosignChainAnnotation)] = std::string(chain);
}

}  // namespace

oci::Descriptor SignatureLayer(absl::string_view payload, absl::string_view signature,
                               absl::string_view certificate, absl::string_view chain) {
  oci::Descriptor d(std::string(oci::kCosignSimpleSigningMediaType), oci::Sha256Of(payload),
                    static_cast<int64_t>(payload.size()));
  d.annotations[std::string(oci::kCosignSignatureAnnotation)] = Base64Encode(signature);
  AddCertificate(d, certificate, chain);
  return d;
}

oci::Descriptor AttestationLayer(absl::string_view envelope, absl::string_view predicate_type,
                                 absl::string_view certificate, absl::string_view chain) {
  oci::Descriptor d(std::string(oci::kDsseEnvelopeMediaType), oci::Sha256Of(envelope),
                    static_cast<int64_t>(envelope.size()));
  d.annotations[std::string(oci::kCosignSignatureAnnotation)] = "";
  d.annotations[std::string(oci::kPredicateTypeAnnotation)] = std::string(predicate_type);
  AddCertificate(d, certificate, chain);
  return d;
}

std::string CosignConfig(const std::vector<oci::Descriptor>& layers) {
  constexpr absl::string_view kZeroTime = "0001-01-01T00:00:00Z";
  std::string history;
  std::string diff_ids;
  for (size_t i = 0; i < layers.size(); ++i) {
    absl::StrAppend(&history, i ? "," : "", R"({"created":")", kZeroTime, R"("})");
    absl::StrAppend(&diff_ids, i ? "," : "", "\"", layers[i].digest.String(), "\"");
  }
  return absl::StrCat(R"({"architecture":"","created":")", kZeroTime, R"(","history":[)", history,
                      R"(],"os":"","rootfs":{"type":"layers","diff_ids":[)", diff_ids,
                      R"(]},"config":{}})");
}

std::string ConstantConfig() {
  return R"({"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}})";
}

oci::ImageManifest AttachmentManifest(const std::vector<oci::Descriptor>& layers,
                                      absl::string_view config) {
  oci::ImageManifest m(oci::Descriptor(std::string(oci::kOciConfigMediaType), oci::Sha256Of(config),
                                       static_cast<int64_t>(config.size())));
  m.media_type = std::string(oci::kOciManifestMediaType);
  m.layers = layers;
  return m;
}

}  // namespace hallmark::storage
