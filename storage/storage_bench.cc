// Sign + attest of one image against the real docker-registry (started here on 127.0.0.1):
//
//   BM_SignAndAttest/0   ConfigMode::kCosign   (cosign's config blob, byte-identical layout)
//   BM_SignAndAttest/1   ConfigMode::kConstant (one config blob per repository)
//     per image: simple-signing payload + ECDSA P-256 signature -> OciBackend::Store (.sig),
//     in-toto statement + DSSE envelope -> OciBackend::Store (.att), on one warm client.
//     Counters: http_requests per image (goal <= 8; cosign/go-containerregistry need 26-30,
//     reference/perf-reliability.md §3), new_connections (keep-alive: ~0 after warm-up).
//   BM_BareCurlFloor/0,1  exactly the same HTTP exchanges (same methods, paths, headers, body
//     sizes) from a bare libcurl easy-handle loop with precomputed-shape bodies and no parsing,
//     signing or checks: the least those round trips can cost against this registry.
//
// Run: scripts/bench //storage:storage_bench   (bazel run -c opt; a few seconds)
#include <curl/curl.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "crypto/dsse.h"
#include "crypto/private_key.h"
#include "crypto/simple_signing.h"
#include "oci/content_digest.h"
#include "oci/curl_registry_client.h"
#include "oci/media_types.h"
#include "storage/cosign_layout.h"
#include "storage/oci_backend.h"
#include "tests/registry/registry_server.h"

namespace hallmark::storage {
namespace {

tests::registry::RegistryServer* g_registry = nullptr;

oci::Reference SyntheticImage(const std::string& repo, int64_t n) {
  return *oci::Reference::Parse(absl::StrCat(g_registry->host(), "/", repo, "@",
                                             oci::Sha256Of(absl::StrCat("image ", n)).String()));
}

void BM_SignAndAttest(benchmark::State& state) {
  const ConfigMode mode = state.range(0) == 0 ? ConfigMode::kCosign : ConfigMode::kConstant;
  const std::string repo = absl::StrCat("bench/sign", state.range(0));
  auto client = oci::NewCurlRegistryClient({});
  auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256);
  OciBackendOptions options;
  options.config = mode;
  auto backend = OciBackend::New(**client, options);
  if (!client.ok() || !key.ok() || !backend.ok()) {
    state.SkipWithError("setup failed");
    return;
  }
  static int64_t counter = 0;
  auto one_image = [&]() -> absl::Status {
    oci::Reference image = SyntheticImage(repo, counter++);
    SignedArtifact sig;
    sig.image = image;
    auto payload = crypto::SimpleSigningPayload::Build(image.Name(), image.digest()->String());
    if (!payload.ok()) return payload.status();
    sig.payload = *payload;
    auto signature = key->Sign(sig.payload);
    if (!signature.ok()) return signature.status();
    sig.signature = *signature;
    sig.signer = key->public_key();
    if (auto r = (*backend)->Store(sig); !r.ok()) return r.status();
    SignedArtifact att;
    att.kind = SignedArtifact::Kind::kAttestation;
    att.image = image;
    att.predicate_type = "https://slsa.dev/provenance/v0.2";
    att.payload = absl::StrCat(
        R"({"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://slsa.dev/provenance/v0.2","subject":[{"name":")",
        image.Name(), R"(","digest":{"sha256":")", image.digest()->hex(),
        R"("}}],"predicate":{"builder":{"id":"https://tekton.dev/chains/v2"},"buildType":"tekton.dev/v1beta1/TaskRun"}})");
    auto envelope = crypto::SignDsseEnvelope(*key, crypto::kInTotoPayloadType, att.payload);
    if (!envelope.ok()) return envelope.status();
    att.signature = *envelope;
    att.signer = key->public_key();
    return (*backend)->Store(att).status();
  };
  // Warm-up: connection, and (kConstant) the config blob.
  if (absl::Status s = one_image(); !s.ok()) {
    state.SkipWithError(std::string(s.message()).c_str());
    return;
  }
  const oci::RegistryClientStats before = (*client)->Stats();
  for (auto _ : state) {
    if (absl::Status s = one_image(); !s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      return;
    }
  }
  const oci::RegistryClientStats after = (*client)->Stats();
  const double n = static_cast<double>(state.iterations());
  state.counters["http_requests"] = static_cast<double>(after.requests - before.requests) / n;
  state.counters["new_connections"] =
      static_cast<double>(after.new_connections - before.new_connections);
  state.counters["images_per_s"] = benchmark::Counter(n, benchmark::Counter::kIsRate);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignAndAttest)->Arg(0)->Arg(1)->UseRealTime()->MinTime(2.0);

// --- The floor: the same exchanges with a bare libcurl easy handle. ---

struct Curl {
  CURL* h = curl_easy_init();
  curl_slist* octet = curl_slist_append(nullptr, "Content-Type: application/octet-stream");
  curl_slist* manifest =
      curl_slist_append(nullptr, "Content-Type: application/vnd.oci.image.manifest.v1+json");
  curl_slist* accept =
      curl_slist_append(nullptr, absl::StrCat("Accept: ", oci::kManifestAccept).c_str());
  std::string location;
  long requests = 0;

  ~Curl() {
    curl_slist_free_all(octet);
    curl_slist_free_all(manifest);
    curl_slist_free_all(accept);
    curl_easy_cleanup(h);
  }
  static size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }
  static size_t Header(char* data, size_t size, size_t n, void* self) {
    std::string line(data, size * n);
    if (line.size() > 10 && (line.rfind("Location:", 0) == 0 || line.rfind("location:", 0) == 0)) {
      std::string value = line.substr(9);
      value.erase(0, value.find_first_not_of(' '));
      value.erase(value.find_last_not_of("\r\n") + 1);
      static_cast<Curl*>(self)->location = value;
    }
    return size * n;
  }
  // One exchange; returns the HTTP status.
  long Do(const char* method, const std::string& url, curl_slist* headers,
          const std::string* body) {
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &Discard);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &Header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, this);
    if (headers != nullptr) curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    if (std::string(method) == "POST") {
      curl_easy_setopt(h, CURLOPT_POST, 1L);
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
    } else if (std::string(method) == "PUT") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, body->data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
    }
    ++requests;
    if (curl_easy_perform(h) != CURLE_OK) return 0;
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    return status;
  }
};

void BM_BareCurlFloor(benchmark::State& state) {
  const bool constant_config = state.range(0) == 1;
  const std::string repo = absl::StrCat("bench/floor", state.range(0));
  const std::string base = absl::StrCat("http://", g_registry->host(), "/v2/", repo);
  Curl curl;
  bool config_pushed = false;
  static int64_t counter = 0;
  // One artifact the way OciBackend pushes it: GET tag, POST+PUT payload, POST+PUT config
  // (once per repository for a constant config), PUT manifest.
  auto push = [&](const std::string& tag, const std::string& blob, const std::string& media_type) {
    if (curl.Do("GET", absl::StrCat(base, "/manifests/", tag), curl.accept, nullptr) != 404) {
      return false;
    }
    auto upload = [&](const std::string& bytes) {
      if (curl.Do("POST", base + "/blobs/uploads/", nullptr, nullptr) != 202) return false;
      std::string url = curl.location.rfind("http", 0) == 0
                            ? curl.location
                            : absl::StrCat("http://", g_registry->host(), curl.location);
      url = absl::StrCat(url, url.find('?') == std::string::npos ? "?" : "&",
                         "digest=", oci::Sha256Of(bytes).String());
      return curl.Do("PUT", url, curl.octet, &bytes) == 201;
    };
    if (!upload(blob)) return false;
    oci::Descriptor layer(media_type, oci::Sha256Of(blob), blob.size());
    const std::string config = constant_config ? ConstantConfig() : CosignConfig({layer});
    if (!constant_config || !config_pushed) {
      if (!upload(config)) return false;
      config_pushed = true;
    }
    const std::string manifest = AttachmentManifest({layer}, config).Serialize();
    return curl.Do("PUT", absl::StrCat(base, "/manifests/", tag), curl.manifest, &manifest) == 201;
  };
  auto one_image = [&]() {
    const oci::Digest d = oci::Sha256Of(absl::StrCat("floor ", state.range(0), " ", counter++));
    const std::string payload =
        absl::StrCat(R"({"critical":{"identity":{"docker-reference":")", g_registry->host(), "/",
                     repo, R"("},"image":{"docker-manifest-digest":")", d.String(),
                     R"("},"type":"cosign container image signature"},"optional":null})");
    const std::string envelope = absl::StrCat(
        R"({"payloadType":"application/vnd.in-toto+json","payload":")", std::string(600, 'A'),
        d.hex(), R"(","signatures":[{"keyid":"","sig":")", std::string(96, 'B'), R"("}]})");
    return push(oci::SignatureTag(d), payload, std::string(oci::kCosignSimpleSigningMediaType)) &&
           push(oci::AttestationTag(d), envelope, std::string(oci::kDsseEnvelopeMediaType));
  };
  if (!one_image()) {
    state.SkipWithError("bare curl push failed");
    return;
  }
  const long before = curl.requests;
  for (auto _ : state) {
    if (!one_image()) {
      state.SkipWithError("bare curl push failed");
      return;
    }
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["http_requests"] = static_cast<double>(curl.requests - before) / n;
  state.counters["images_per_s"] = benchmark::Counter(n, benchmark::Counter::kIsRate);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BareCurlFloor)->Arg(0)->Arg(1)->UseRealTime()->MinTime(2.0);

}  // namespace
}  // namespace hallmark::storage

int main(int argc, char** argv) {
  // The registry's config and storage go to a private scratch folder, removed at the end.
  char tmpl[] = "/tmp/hallmark-storage-bench-XXXXXX";
  const char* scratch = mkdtemp(tmpl);
  if (scratch == nullptr) return 1;
  setenv("TEST_TMPDIR", scratch, 1);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int rc = 0;
  {
    auto registry = hallmark::tests::registry::RegistryServer::Start();
    if (!registry.ok()) {
      fprintf(stderr, "cannot start docker-registry: %s\n",
              std::string(registry.status().message()).c_str());
      rc = 1;
    } else {
      hallmark::storage::g_registry = registry->get();
      benchmark::Initialize(&argc, argv);
      benchmark::RunSpecifiedBenchmarks();
      benchmark::Shutdown();
      hallmark::storage::g_registry = nullptr;
    }
  }
  std::filesystem::remove_all(scratch);
  return rc;
}
