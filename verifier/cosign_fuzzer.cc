// Fuzz target for the cosign checks on hostile attachment layers: the input is split into a
// signature annotation and a layer blob, verified as a `.sig` layer and as a `.att` layer with a
// fixed key (Chains' test key, fixtures/cosign/keys/chains-p256.pub). Nothing may crash, and
// nothing may verify: the seeds are signed with that key, but for another image digest.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "crypto/public_key.h"
#include "oci/content_digest.h"
#include "oci/media_types.h"
#include "verifier/cosign.h"

namespace {

constexpr char kKey[] = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEBOiqYumsujclXOl4CGGdW46tRjs4
2oi8XEki9rNijnEekF6egMrTGZaHmbCTyz2B4VzdRZDD0/7TO4mHleqBDw==
-----END PUBLIC KEY-----
)";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto* key =
      new hallmark::crypto::PublicKey(*hallmark::crypto::PublicKey::ParsePem(kKey));
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  size_t split = input.find('\n');
  absl::string_view annotation = split == absl::string_view::npos ? "" : input.substr(0, split);
  absl::string_view blob = split == absl::string_view::npos ? input : input.substr(split + 1);
  const hallmark::oci::Digest image = hallmark::oci::Sha256Of("image");

  hallmark::oci::Descriptor d(std::string(hallmark::oci::kCosignSimpleSigningMediaType),
                              hallmark::oci::Sha256Of(blob), static_cast<int64_t>(blob.size()));
  d.annotations[std::string(hallmark::oci::kCosignSignatureAnnotation)] = std::string(annotation);
  hallmark::verifier::AttachmentLayer layer{d, std::string(blob), absl::OkStatus()};
  if (hallmark::verifier::VerifyImageSignatures({layer}, {*key}, image).ok()) std::abort();
  layer.descriptor.media_type = std::string(hallmark::oci::kDsseEnvelopeMediaType);
  if (hallmark::verifier::VerifyImageAttestations({layer}, {*key}, image).ok()) std::abort();
  return 0;
}
