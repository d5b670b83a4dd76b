// File: crypto/dsse.h
//
// DSSE (Dead Simple Signing Envelope, github.com/secure-systems-lab/dsse): the envelope of
// in-toto attestations in `.att` layers and Chains' provenance.
//
//   PAE = "DSSEv1" SP len(type) SP type SP len(body) SP body   (decimal byte lengths)
//   {"payloadType":"<type>","payload":"<b64 body>","signatures":[{"keyid":"<id>","sig":"<b64>"}]}
//
// We WRITE what cosign v2 writes (that field order, standard base64 with padding, `keyid`
// always present, signature = the key's ordinary signature over the PAE, DER for ECDSA) and READ
// what the DSSE spec allows (standard or URL-safe base64, padding optional, `keyid` optional,
// any field order).
//
//   HM_ASSIGN_OR_RETURN(std::string envelope,
//                       SignDsseEnvelope(key, kInTotoPayloadType, statement, keyid));
//   HM_ASSIGN_OR_RETURN(DsseEnvelope env, DsseEnvelope::Parse(layer_blob));
//   HM_ASSIGN_OR_RETURN(DsseVerified ok, VerifyDsseEnvelope(env, trusted_keys));
#ifndef HALLMARK_CRYPTO_DSSE_H_
#define HALLMARK_CRYPTO_DSSE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "crypto/key_type.h"
#include "crypto/private_key.h"
#include "crypto/public_key.h"

namespace hallmark::crypto {

inline constexpr absl::string_view kInTotoPayloadType = "application/vnd.in-toto+json";
inline constexpr absl::string_view kDsseMediaType = "application/vnd.dsse.envelope.v1+json";

// Bounds on untrusted envelopes: envelope text size, and signatures per envelope (each costs one
// verification per trusted key).
inline constexpr size_t kMaxDsseEnvelopeBytes = 128 * 1024 * 1024;
inline constexpr size_t kMaxDsseSignatures = 64;

// DssePae returns the Pre-Authentication Encoding of (payload_type, payload): the bytes that
// are signed.
std::string DssePae(absl::string_view payload_type, absl::string_view payload);

struct DsseSignature {
  std::string keyid;  // "" when absent
  std::string sig;    // decoded signature bytes
};

struct DsseEnvelope {
  std::string payload_type;
  std::string payload;  // decoded payload bytes
  std::vector<DsseSignature> signatures;

  // Parse reads envelope JSON. `payloadType` and `payload` (strings) and `signatures` (an array
  // of objects with a string `sig` and an optional string `keyid`) are required; other members
  // are ignored; base64 may be standard or URL-safe, padded or not. kInvalidArgument otherwise,
  // and for more than kMaxDsseSignatures signatures or a text over kMaxDsseEnvelopeBytes.
  static absl::StatusOr<DsseEnvelope> Parse(absl::string_view json);

  // Serialize writes cosign v2's layout: compact JSON
  // {"payloadType":..,"payload":..,"signatures":[{"keyid":..,"sig":..}]} with standard base64.
  std::string Serialize() const;
};

// SignDsseEnvelope signs the PAE of (payload_type, payload) with `key` and returns the
// serialized one-signature envelope. `keyid` is written as given ("" as cosign does; Chains
// uses SshFingerprint). `hash` as PrivateKey::Sign. kInternal only if signing fails.
absl::StatusOr<std::string> SignDsseEnvelope(const PrivateKey& key, absl::string_view payload_type,
                                             absl::string_view payload,
                                             absl::string_view keyid = "",
                                             HashAlgorithm hash = kDefaultHash);

struct DsseVerified {
  std::string payload_type;
  std::string payload;   // the verified payload bytes
  size_t key_index = 0;  // which of the trusted keys verified it
  size_t signature_index = 0;
};

// VerifyDsseEnvelope succeeds if at least one signature verifies over the PAE with at least one
// of `keys` (threshold 1, like cosign; keyid hints are ignored because a trusted key has no
// agreed id). It does NOT check payload_type: callers decide which types they accept.
// kInvalidArgument: `no signature found` when the envelope has none, `no trusted keys` when
// `keys` is empty, else `accepted signatures do not match threshold, Found: 0, Expected 1`.
// ECDSA signatures must be DER (raw r||s, as in the DSSE spec's own example, is refused as
// cosign refuses it).
absl::StatusOr<DsseVerified> VerifyDsseEnvelope(const DsseEnvelope& envelope,
                                                absl::Span<const PublicKey> keys,
                                                HashAlgorithm hash = kDefaultHash);

}  // namespace hallmark::crypto

#endif  // HALLMARK_CRYPTO_DSSE_H_
