// Benchmarks of the crypto core: sign, verify and key load per key type, DSSE envelopes, and
// concurrent signing with one shared key (what the agent's workers do). Run with scripts/bench
// (bazel run -c opt //crypto:crypto_bench); figures in docs/benchmarks.md.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/secret_data.h"
#include "benchmark/benchmark.h"
#include "crypto/cosign_key.h"
#include "crypto/dsse.h"
#include "crypto/key_id.h"
#include "crypto/private_key.h"
#include "crypto/public_key.h"
#include "crypto/simple_signing.h"

namespace hallmark::crypto {
namespace {

const KeyType kTypes[] = {KeyType::kEcdsaP256, KeyType::kEcdsaP384, KeyType::kEcdsaP521,
                          KeyType::kRsa2048,   KeyType::kRsa3072,   KeyType::kRsa4096,
                          KeyType::kEd25519};

// One key per type, made once (RSA-4096 generation takes a while).
const PrivateKey& KeyOf(KeyType type) {
  static std::vector<PrivateKey>* keys = [] {
    auto* v = new std::vector<PrivateKey>;
    for (KeyType t : kTypes) v->push_back(*PrivateKey::Generate(t));
    return v;
  }();
  for (size_t i = 0; i < std::size(kTypes); ++i) {
    if (kTypes[i] == type) return (*keys)[i];
  }
  return (*keys)[0];
}

// A cosign simple-signing payload: what the agent signs per image.
const std::string& Payload() {
  static const std::string* p = new std::string(*SimpleSigningPayload::Build(
      "registry.example:5000/demo:v1",
      "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00"));
  return *p;
}

void BM_Sign(benchmark::State& state) {
  const KeyType type = kTypes[state.range(0)];
  const PrivateKey& key = KeyOf(type);
  for (auto _ : state) {
    benchmark::DoNotOptimize(key.Sign(Payload()));
  }
  state.SetLabel(std::string(KeyTypeName(type)));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Sign)->DenseRange(0, std::size(kTypes) - 1)->ThreadRange(1, 2)->UseRealTime();

void BM_Verify(benchmark::State& state) {
  const KeyType type = kTypes[state.range(0)];
  const PrivateKey& key = KeyOf(type);
  const std::string sig = *key.Sign(Payload());
  const PublicKey pub = key.public_key();
  for (auto _ : state) {
    benchmark::DoNotOptimize(pub.Verify(Payload(), sig));
  }
  state.SetLabel(std::string(KeyTypeName(type)));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Verify)->DenseRange(0, std::size(kTypes) - 1);

// Loading an encrypted cosign key = one scrypt (N=65536 current format, N=32768 legacy) plus
// the secretbox and PKCS#8 parse.
void BM_LoadCosignKey(benchmark::State& state) {
  const bool legacy = state.range(0) == 1;
  const std::string pem =
      *EncryptCosignKey(KeyOf(KeyType::kEcdsaP256), SecretData("password"),
                        legacy ? CosignKeyFormat::kLegacy : CosignKeyFormat::kCurrent);
  const SecretData password("password");
  for (auto _ : state) {
    benchmark::DoNotOptimize(LoadCosignKey(pem, password));
  }
  state.SetLabel(legacy ? "N=32768 (legacy)" : "N=65536 (current)");
}
BENCHMARK(BM_LoadCosignKey)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// Loading an unencrypted PKCS#8 key (Chains' x509.pem), per key type.
void BM_LoadPkcs8(benchmark::State& state) {
  const KeyType type = kTypes[state.range(0)];
  const SecretData der = *KeyOf(type).InsecurePkcs8Der();
  for (auto _ : state) {
    benchmark::DoNotOptimize(PrivateKey::ParsePkcs8Der(der));
  }
  state.SetLabel(std::string(KeyTypeName(type)));
}
BENCHMARK(BM_LoadPkcs8)->DenseRange(0, std::size(kTypes) - 1);

void BM_ParsePublicKeyPem(benchmark::State& state) {
  const KeyType type = kTypes[state.range(0)];
  const std::string pem = KeyOf(type).public_key().Pem();
  for (auto _ : state) {
    benchmark::DoNotOptimize(PublicKey::ParsePem(pem));
  }
  state.SetLabel(std::string(KeyTypeName(type)));
}
BENCHMARK(BM_ParsePublicKeyPem)->DenseRange(0, std::size(kTypes) - 1);

// A provenance-sized statement (8 KiB) signed into a DSSE envelope with P-256, as the agent
// does per run, and verified as the verifier does.
const std::string& Statement() {
  static const std::string* s = new std::string(
      absl::StrCat(R"({"_type":"https://in-toto.io/Statement/v0.1","predicate":{"x":")",
                   std::string(8000, 'a'), "\"}}"));
  return *s;
}

void BM_SignDsseEnvelope(benchmark::State& state) {
  const PrivateKey& key = KeyOf(KeyType::kEcdsaP256);
  const std::string keyid = *SshFingerprint(key.public_key());
  for (auto _ : state) {
    benchmark::DoNotOptimize(SignDsseEnvelope(key, kInTotoPayloadType, Statement(), keyid));
  }
  state.SetBytesProcessed(state.iterations() * Statement().size());
}
BENCHMARK(BM_SignDsseEnvelope);

void BM_ParseAndVerifyDsseEnvelope(benchmark::State& state) {
  const PrivateKey& key = KeyOf(KeyType::kEcdsaP256);
  const std::string text = *SignDsseEnvelope(key, kInTotoPayloadType, Statement());
  const std::vector<PublicKey> keys = {key.public_key()};
  for (auto _ : state) {
    absl::StatusOr<DsseEnvelope> env = DsseEnvelope::Parse(text);
    benchmark::DoNotOptimize(VerifyDsseEnvelope(*env, keys));
  }
  state.SetBytesProcessed(state.iterations() * text.size());
}
BENCHMARK(BM_ParseAndVerifyDsseEnvelope);

void BM_SimpleSigningBuildAndParse(benchmark::State& state) {
  for (auto _ : state) {
    absl::StatusOr<std::string> p = SimpleSigningPayload::Build(
        "registry.example:5000/demo:v1",
        "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00");
    benchmark::DoNotOptimize(SimpleSigningPayload::ParseStrict(*p));
  }
}
BENCHMARK(BM_SimpleSigningBuildAndParse);

}  // namespace
}  // namespace hallmark::crypto
