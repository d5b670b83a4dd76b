// File: verifier/policy/testing/signing.h
//
// Test helpers that make cosign attachments the way `cosign sign --key` / `cosign attest --key`
// lay them out (reference/cosign-kyverno.md §2-4), and push them to a registry with our
// RegistryClient: `.sig` layers (simple-signing payload, base64 signature annotation), `.att`
// layers (DSSE envelope of an in-toto Statement v0.1, predicateType annotation, empty signature
// annotation), and the OCI manifest + config that holds them.
#ifndef HALLMARK_VERIFIER_POLICY_TESTING_SIGNING_H_
#define HALLMARK_VERIFIER_POLICY_TESTING_SIGNING_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/private_key.h"
#include "nlohmann/json.hpp"
#include "oci/reference.h"
#include "oci/registry_client.h"
#include "verifier/attachments.h"
#include "verifier/cosign.h"

namespace hallmark::verifier::policy::testing {

// SignatureLayer: a `.sig` layer signing `digest` for `docker_reference` with `key`.
absl::StatusOr<AttachmentLayer> SignatureLayer(
    const crypto::PrivateKey& key, const std::string& docker_reference, const oci::Digest& digest,
    const std::map<std::string, std::string>& annotations = {});

// Statement: an in-toto Statement v0.1 for `subject_name`@`digest` with `predicate`.
nlohmann::json Statement(const std::string& predicate_type, const std::string& subject_name,
                         const oci::Digest& digest, const nlohmann::json& predicate);

// AttestationLayer: a `.att` layer holding `statement` signed with `key` (DSSE, in-toto type).
absl::StatusOr<AttachmentLayer> AttestationLayer(const crypto::PrivateKey& key,
                                                 const nlohmann::json& statement);

// PushAttachments: uploads the layers' blobs and a cosign-style manifest (OCI types, config with
// the layers' diff_ids) to `repo` at tag `sha256-<hex>.sig` or `.att` for `digest`.
absl::Status PushAttachments(oci::RegistryClient& client, const oci::Repository& repo,
                             const oci::Digest& digest, AttachmentKind kind,
                             const std::vector<AttachmentLayer>& layers);

}  // namespace hallmark::verifier::policy::testing

#endif  // HALLMARK_VERIFIER_POLICY_TESTING_SIGNING_H_
