// File: storage/sign_image.h
//
// `cosign sign --key` and `cosign attest --key` (legacy `.sig`/`.att` mode, no transparency log)
// as library entry points for the CLI: resolve the image, build and sign the payload with the
// key (crypto/), store it with OciBackend (cosign's layout, deduplicated).
//
//   HM_ASSIGN_OR_RETURN(SignedImage s, SignImage(client, key, ref, {.annotations = {{"a", "b"}}}));
//   HM_ASSIGN_OR_RETURN(SignedImage a, AttestImage(client, key, ref, predicate_json, options));
//
// docker-reference: the repository plus the tag when the reference has one
// (`registry/repo:tag`), else the repository (reference/cosign-kyverno.md §2.1: cosign and
// Kyverno ignore it; containers/image's default policy accepts only the tagged form).
#ifndef HALLMARK_STORAGE_SIGN_IMAGE_H_
#define HALLMARK_STORAGE_SIGN_IMAGE_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "crypto/key_type.h"
#include "crypto/private_key.h"
#include "oci/reference.h"
#include "oci/registry_client.h"
#include "storage/oci_backend.h"

namespace hallmark::storage {

struct SignImageOptions {
  // cosign -a key=value: the payload's `optional` object.
  std::map<std::string, std::string> annotations;
  OciBackendOptions storage;
  crypto::HashAlgorithm hash = crypto::kDefaultHash;
  // A digest reference is checked to exist (one HEAD) before it is signed, as cosign does; a tag
  // is resolved by fetching its manifest anyway.
  bool check_digest_exists = true;
};

struct AttestImageOptions {
  // cosign --type as typed: a shortcut (custom, slsaprovenance, ...) or a predicate URI.
  std::string type = "custom";
  OciBackendOptions storage;
  crypto::HashAlgorithm hash = crypto::kDefaultHash;
  bool check_digest_exists = true;
  // The `Timestamp` of a `custom` predicate; absl::InfinitePast(): now.
  absl::Time now = absl::InfinitePast();
};

struct SignedImage {
  oci::Reference image;         // pinned by digest
  oci::Repository destination;  // where the `.sig` / `.att` went
  std::string payload;          // the signed payload (simple signing JSON or the Statement)
  bool stored = true;           // false: an equivalent signature/attestation was already there
};

// SignImage. Errors: those of RegistryClient::Resolve/Head (kNotFound for an unknown tag or
// digest), of SimpleSigningPayload::Build, of signing (kInternal) and of OciBackend::Store.
absl::StatusOr<SignedImage> SignImage(oci::RegistryClient& client, const crypto::PrivateKey& key,
                                      const oci::Reference& image,
                                      const SignImageOptions& options = {});

// CosignStatement: the in-toto Statement v0.1 cosign attest writes (keys in the order _type,
// predicateType, subject, predicate; subject name = the repository, digest.sha256 = the hex).
// For the `custom` type the predicate is {"Data":"<predicate text>","Timestamp":"<RFC 3339 UTC>"};
// otherwise `predicate` must be a JSON object or array (kInvalidArgument), re-emitted compactly
// with its key order kept.
absl::StatusOr<std::string> CosignStatement(const oci::Reference& image, const oci::Digest& digest,
                                            absl::string_view type, absl::string_view predicate,
                                            absl::Time now);

// AttestImage: CosignStatement signed as a DSSE envelope (payloadType application/vnd.in-toto+json,
// keyid "") and stored in `.att`. Errors as SignImage, plus kInvalidArgument for a bad type or
// predicate.
absl::StatusOr<SignedImage> AttestImage(oci::RegistryClient& client, const crypto::PrivateKey& key,
                                        const oci::Reference& image, absl::string_view predicate,
                                        const AttestImageOptions& options = {});

}  // namespace hallmark::storage

#endif  // HALLMARK_STORAGE_SIGN_IMAGE_H_
