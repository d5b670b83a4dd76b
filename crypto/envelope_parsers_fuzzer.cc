// Fuzz target: the parsers of signed payloads read from registries: DSSE envelopes and cosign
// simple-signing payloads. Invariants besides "no crash": an envelope we parse serializes to
// one that parses back equal; nothing verifies with a key that signed nothing; whatever the
// strict (containers/image) parser accepts, the lenient (cosign) one accepts with the same claims.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "crypto/dsse.h"
#include "crypto/public_key.h"
#include "crypto/simple_signing.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

// A P-256 key nobody holds the private half of here (the DSSE spec's test key's public half is
// public, but the fuzzer cannot forge its signatures over new bytes).
constexpr char kKeyPem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZ805D3eqNZywjCI19lInBJOp7YMr\n"
    "CrzAH3CVTAOQ0jgMeCvVTiaRJaRPRDOv8UMs6U4SvKc6pnrIDOoSYI3fdA==\n"
    "-----END PUBLIC KEY-----\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using hallmark::crypto::DsseEnvelope;
  using hallmark::crypto::SimpleSigningPayload;
  const std::string input(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<DsseEnvelope> env = DsseEnvelope::Parse(input);
  if (env.ok()) {
    Check(env->signatures.size() <= hallmark::crypto::kMaxDsseSignatures);
    absl::StatusOr<DsseEnvelope> again = DsseEnvelope::Parse(env->Serialize());
    Check(again.ok() && again->payload_type == env->payload_type &&
          again->payload == env->payload && again->signatures.size() == env->signatures.size());
    for (size_t i = 0; i < env->signatures.size(); ++i) {
      Check(again->signatures[i].sig == env->signatures[i].sig &&
            again->signatures[i].keyid == env->signatures[i].keyid);
    }
    static const hallmark::crypto::PublicKey* key =
        new hallmark::crypto::PublicKey(*hallmark::crypto::PublicKey::ParsePem(kKeyPem));
    std::vector<hallmark::crypto::PublicKey> keys = {*key};
    // Only the DSSE spec's own vector (raw r||s, which we refuse) was made with that key.
    Check(!hallmark::crypto::VerifyDsseEnvelope(*env, keys).ok() || env->payload == "hello world");
  }

  absl::StatusOr<SimpleSigningPayload> strict = SimpleSigningPayload::ParseStrict(input);
  absl::StatusOr<SimpleSigningPayload> lenient = SimpleSigningPayload::ParseLenient(input);
  if (strict.ok()) {
    Check(lenient.ok() && lenient->manifest_digest == strict->manifest_digest &&
          lenient->docker_reference == strict->docker_reference && lenient->type == strict->type);
  }
  return 0;
}
