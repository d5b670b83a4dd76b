#include "storage/sign_image.h"

#include <exception>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "crypto/dsse.h"
#include "crypto/simple_signing.h"
#include "nlohmann/json.hpp"
#include "storage/backend.h"
#include "verifier/predicate_type.h"

namespace hallmark::storage {
namespace {

using OrderedJson = nlohmann::ordered_json;

// Pinned: the image's digest (resolved, and checked to exist when asked) and the reference
// pinned to it.
absl::StatusOr<oci::Digest> ResolveForPush(oci::RegistryClient& client, const oci::Reference& image,
                                           bool check_digest_exists) {
  if (image.has_digest()) {
    if (check_digest_exists) HM_RETURN_IF_ERROR(client.Head(image, oci::Access::kPush).status());
    return *image.digest();
  }
  HM_ASSIGN_OR_RETURN(oci::Descriptor d, client.Resolve(image, oci::Access::kPush));
  if (!oci::IsValidImageDigest(d.digest.String())) {
    return absl::FailedPreconditionError(
        absl::StrCat(image.String(), " resolved to a non-sha256 digest ", d.digest.String()));
  }
  return d.digest;
}

oci::Repository Destination(const oci::Reference& image, const OciBackendOptions& storage) {
  return storage.repository.has_value() ? *storage.repository : oci::Repository::Of(image);
}

}  // namespace

absl::StatusOr<SignedImage> SignImage(oci::RegistryClient& client, const crypto::PrivateKey& key,
                                      const oci::Reference& image,
                                      const SignImageOptions& options) {
  HM_ASSIGN_OR_RETURN(oci::Digest digest,
                      ResolveForPush(client, image, options.check_digest_exists));
  const std::string docker_reference =
      image.has_tag() ? absl::StrCat(image.Name(), ":", image.tag()) : image.Name();
  SignedArtifact artifact;
  artifact.kind = SignedArtifact::Kind::kImageSignature;
  artifact.image = image.WithDigest(digest);
  HM_ASSIGN_OR_RETURN(
      artifact.payload,
      crypto::SimpleSigningPayload::Build(docker_reference, digest.String(), options.annotations));
  HM_ASSIGN_OR_RETURN(artifact.signature, key.Sign(artifact.payload, options.hash));
  artifact.key = digest.hex().substr(0, 12);
  artifact.signer = key.public_key();
  HM_ASSIGN_OR_RETURN(std::unique_ptr<OciBackend> backend,
                      OciBackend::New(client, options.storage));
  HM_ASSIGN_OR_RETURN(StoreResult stored, backend->Store(artifact));
  return SignedImage{*artifact.image, Destination(image, options.storage),
                     std::move(artifact.payload), stored.stored};
}

absl::StatusOr<std::string> CosignStatement(const oci::Reference& image, const oci::Digest& digest,
                                            absl::string_view type, absl::string_view predicate,
                                            absl::Time now) {
  HM_ASSIGN_OR_RETURN(std::string uri, verifier::ResolvePredicateType(type));
  OrderedJson body;
  if (uri == verifier::kCustomPredicateType) {
    body = OrderedJson::object();
    body["Data"] = std::string(predicate);
    body["Timestamp"] = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", now, absl::UTCTimeZone());
  } else {
    try {
      body = OrderedJson::parse(predicate.begin(), predicate.end(), nullptr, false);
    } catch (const std::exception&) {
      body = OrderedJson(OrderedJson::value_t::discarded);
    }
    if (body.is_discarded() || !(body.is_object() || body.is_array())) {
      return absl::InvalidArgumentError(
          absl::StrCat("the predicate for type ", type, " must be a JSON object"));
    }
  }
  OrderedJson statement = OrderedJson::object();
  statement["_type"] = "https://in-toto.io/Statement/v0.1";
  statement["predicateType"] = uri;
  statement["subject"] = OrderedJson::array(
      {OrderedJson{{"name", image.Name()}, {"digest", OrderedJson{{"sha256", digest.hex()}}}}});
  statement["predicate"] = std::move(body);
  return statement.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

absl::StatusOr<SignedImage> AttestImage(oci::RegistryClient& client, const crypto::PrivateKey& key,
                                        const oci::Reference& image, absl::string_view predicate,
                                        const AttestImageOptions& options) {
  HM_ASSIGN_OR_RETURN(std::string uri, verifier::ResolvePredicateType(options.type));
  HM_ASSIGN_OR_RETURN(oci::Digest digest,
                      ResolveForPush(client, image, options.check_digest_exists));
  const absl::Time now = options.now == absl::InfinitePast() ? absl::Now() : options.now;
  SignedArtifact artifact;
  artifact.kind = SignedArtifact::Kind::kAttestation;
  artifact.image = image.WithDigest(digest);
  artifact.predicate_type = uri;
  HM_ASSIGN_OR_RETURN(artifact.payload,
                      CosignStatement(image, digest, options.type, predicate, now));
  HM_ASSIGN_OR_RETURN(artifact.signature,
                      crypto::SignDsseEnvelope(key, crypto::kInTotoPayloadType, artifact.payload,
                                               "", options.hash));
  artifact.signer = key.public_key();
  HM_ASSIGN_OR_RETURN(std::unique_ptr<OciBackend> backend,
                      OciBackend::New(client, options.storage));
  HM_ASSIGN_OR_RETURN(StoreResult stored, backend->Store(artifact));
  return SignedImage{*artifact.image, Destination(image, options.storage),
                     std::move(artifact.payload), stored.stored};
}

}  // namespace hallmark::storage
