// File: oci/registry_client.h
//
// RegistryClient: the OCI distribution API v2 over net::HttpClient, built for few round trips
// and for registries we do not trust.
//
//   HM_ASSIGN_OR_RETURN(auto client, RegistryClient::New(http, options));
//   HM_ASSIGN_OR_RETURN(Descriptor image, client->Resolve(ref));          // 0 requests for a
//   digest HM_ASSIGN_OR_RETURN(FetchedManifest sig, client->GetManifest(sig_ref, Access::kPush));
//   HM_RETURN_IF_ERROR(client->UploadBlob(repo, digest, bytes));          // POST + PUT
//   HM_ASSIGN_OR_RETURN(Digest d, client->PutManifest(repo, "sha256-<hex>.sig", bytes, type));
//
// Round trips. No ping: authentication is lazy. A request goes out with what is known about the
// registry (nothing, Basic credentials, or a cached bearer token for the scope); a 401 is answered
// once (Basic credentials, or a token fetched from the challenge's realm) and the request is
// repeated. After that, Basic credentials are sent up front and tokens are reused until they
// expire, so a warm client pays no auth round trips. A caller that will push should read with
// Access::kPush so the token it gets already covers the push.
//
// Transport. Loopback registries (localhost, 127.0.0.0/8, ::1) and registries in
// `insecure_registries` are spoken to over plain HTTP (go-containerregistry's rule; an insecure
// registry is first probed over HTTPS without certificate checks when an `insecure_tls` client
// is given). Everything else is HTTPS with the HttpClient's trust anchors (a custom CA bundle is
// configured there). Connections are reused by the HttpClient's pool. Every request has a total
// deadline and an idle deadline; 408/429/5xx and transport failures are retried with jittered
// backoff honouring Retry-After (net::Retry), except chunk PATCHes, which are not idempotent.
// Redirects are followed only through net::DoFollowingRedirects: at most `max_redirects`, loops
// refused, the Authorization header never sent to another origin.
//
// Trust. Every manifest and blob read is re-hashed: by digest it must match, by tag the digest
// returned is the hash of the bytes received (Docker-Content-Digest is never used, except by
// Head(), which documents it). Manifests are limited to max_manifest_bytes, blobs to
// max_blob_bytes (checked against the descriptor size before the request, and while reading).
// A token realm must be https unless the registry itself is plain HTTP, and may not be a
// link-local address (cloud metadata endpoints).
//
// Errors carry the retry decision: kUnavailable / kDeadlineExceeded (5xx, 429, timeouts,
// connection failures: retry later), kNotFound (manifest, tag or blob unknown), kUnauthenticated
// (authentication required and no or wrong credentials), kPermissionDenied (the credentials do not
// grant the access), kFailedPrecondition (hostile or broken registry: digest mismatch, size or
// redirect limits, malformed challenge; configuration problems), kInvalidArgument (bad input from
// the caller, e.g. a tag where a digest is needed, or a request the registry refused as malformed
// with HTTP 400: DIGEST_INVALID, MANIFEST_BLOB_UNKNOWN, ...). Messages name the registry,
// repository and reference, and include the registry's error code and message; never a credential
// or token.
//
// Thread-safe; the HttpClient(s) and the clock must outlive the client.
#ifndef HALLMARK_OCI_REGISTRY_CLIENT_H_
#define HALLMARK_OCI_REGISTRY_CLIENT_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "base/secret_data.h"
#include "net/http_client.h"
#include "net/retry.h"
#include "oci/docker_config.h"
#include "oci/manifest.h"
#include "oci/reference.h"

namespace hallmark::oci {

// Repository: where manifests and blobs live, `registry/path`.
struct Repository {
  std::string registry;  // host[:port] as references spell it: "index.docker.io", "127.0.0.1:5000"
  std::string path;      // "library/busybox"

  static Repository Of(const Reference& ref) { return {ref.registry(), ref.repository()}; }
  // Parse: "registry/path" (as for storage.oci.repository), normalised like a Reference without
  // tag or digest. kInvalidArgument if it is not one.
  static absl::StatusOr<Repository> Parse(absl::string_view text);
  std::string String() const { return registry + "/" + path; }

  friend bool operator==(const Repository& a, const Repository& b) {
    return a.registry == b.registry && a.path == b.path;
  }
  friend bool operator!=(const Repository& a, const Repository& b) { return !(a == b); }
  friend bool operator<(const Repository& a, const Repository& b) {
    return a.registry != b.registry ? a.registry < b.registry : a.path < b.path;
  }
};

// Access: what a request needs; decides the bearer token scope (`repository:<path>:pull` or
// `repository:<path>:pull,push`).
enum class Access { kPull, kPush };

struct FetchedManifest {
  std::string bytes;
  std::string media_type;  // the response Content-Type without parameters
  Digest digest;           // the hash of `bytes` (equal to the requested digest, if any)
};

struct RegistryClientOptions {
  // Credentials by registry; empty: anonymous.
  Keychain keychain;
  // Registries (host[:port]) that may be spoken to without TLS verification / over plain HTTP.
  // WARNING: credentials sent to them can be read on the network.
  std::set<std::string> insecure_registries;
  // Every registry is treated as insecure (cosign's --allow-insecure-registry).
  bool allow_insecure_registries = false;

  net::RetryPolicy retry;
  // Deadline of one request (each attempt); a stalled transfer ends after idle_timeout.
  absl::Duration request_timeout = absl::Seconds(30);
  absl::Duration idle_timeout = absl::Seconds(15);
  int max_redirects = 5;

  size_t max_manifest_bytes = kMaxManifestBytes;
  size_t max_blob_bytes = kMaxAttachmentBytes;
  // Blobs larger than this are uploaded in PATCH chunks of this size (else one PUT).
  size_t upload_chunk_bytes = 16 << 20;
  // Most tags ListTags collects over all pages.
  size_t max_tags = 100000;

  Clock* clock = Clock::RealClock();  // not owned
};

// Counters (monotonic) for tests and benchmarks.
struct RegistryClientStats {
  uint64_t requests = 0;         // HTTP exchanges sent to registries (retries and redirects not
                                 // counted separately), token requests excluded
  uint64_t challenges = 0;       // 401s answered
  uint64_t token_requests = 0;   // requests to token realms
  uint64_t new_connections = 0;  // TCP connections the HttpClient opened (all its users)
};

class RegistryClient {
 public:
  // New validates the options (retry policy, positive timeouts and limits). `http` is used for
  // everything; `insecure_tls` (optional, with certificate verification off) only to probe
  // insecure registries over HTTPS before falling back to plain HTTP. Both are borrowed.
  static absl::StatusOr<std::unique_ptr<RegistryClient>> New(
      net::HttpClient& http, RegistryClientOptions options,
      net::HttpClient* insecure_tls = nullptr);
  // New, owning the HttpClient(s) (see oci/curl_registry_client.h for the libcurl ones).
  static absl::StatusOr<std::unique_ptr<RegistryClient>> New(
      std::unique_ptr<net::HttpClient> http, RegistryClientOptions options,
      std::unique_ptr<net::HttpClient> insecure_tls = nullptr);

  ~RegistryClient();
  RegistryClient(const RegistryClient&) = delete;
  RegistryClient& operator=(const RegistryClient&) = delete;

  // Ping: GET /v2/. OK for 200, and for 401 (the challenge is remembered so the next request
  // can authenticate at once). Never needed before other calls.
  absl::Status Ping(absl::string_view registry);

  // Resolve: the descriptor (media type, digest, size) of what `ref` names. A reference with a
  // digest is returned as is, without a request (cosign: a digest reference is used as is; the
  // media type is then "" and the size -1); otherwise the manifest is fetched by tag and its bytes
  // hashed (one GET, bounded by max_manifest_bytes). kNotFound when the tag does not exist.
  absl::StatusOr<Descriptor> Resolve(const Reference& ref, Access access = Access::kPull);

  // Head: HEAD of a manifest. The digest is the registry's Docker-Content-Digest claim (a GET is
  // made instead when the header is missing or malformed): use Resolve when the digest matters.
  absl::StatusOr<Descriptor> Head(const Reference& ref, Access access = Access::kPull);

  // GetManifest: GET of a manifest or index by tag or digest with every supported Accept type.
  // kNotFound if absent.
  absl::StatusOr<FetchedManifest> GetManifest(const Reference& ref, Access access = Access::kPull);

  // PutManifest: PUT `bytes` as `media_type` at `tag_or_digest` (a tag, or the digest of the
  // bytes). Returns the digest of the bytes. The blobs it references must exist
  // (kFailedPrecondition `MANIFEST_BLOB_UNKNOWN` otherwise).
  absl::StatusOr<Digest> PutManifest(const Repository& repo, absl::string_view tag_or_digest,
                                     absl::string_view bytes, absl::string_view media_type);

  // BlobSize: HEAD of a blob: its size, or nullopt if the repository does not have it.
  absl::StatusOr<std::optional<int64_t>> BlobSize(const Repository& repo, const Digest& digest,
                                                  Access access = Access::kPull);

  // GetBlob: the blob's bytes, checked against `digest`. `expected_size` (a descriptor's size,
  // or -1 when unknown) must be <= max_blob_bytes — else kFailedPrecondition
  // `size of layer (N) exceeded the limit (M)` before any request — and the body may not exceed
  // it (the transfer stops at the limit).
  absl::StatusOr<std::string> GetBlob(const Repository& repo, const Digest& digest,
                                      int64_t expected_size = -1, Access access = Access::kPull);

  // UploadBlob: make `data` (whose digest is `digest`) exist in `repo`. With `mount_from`, first
  // asks for a cross-repository mount (one request when the registry can mount); otherwise, or
  // when the mount is refused, POST then one PUT, or PATCH chunks then PUT for large blobs.
  // kInvalidArgument if `data` does not hash to `digest` (checked before sending).
  absl::Status UploadBlob(const Repository& repo, const Digest& digest, absl::string_view data,
                          const std::optional<Repository>& mount_from = std::nullopt);

  // ListTags: every tag of `repo`, following `Link: <...>; rel="next"` pages (same origin only),
  // at most max_tags. kNotFound for an unknown repository.
  absl::StatusOr<std::vector<std::string>> ListTags(const Repository& repo);

  // Referrers: the manifests whose `subject` is `digest`, as an index, optionally only those of
  // `artifact_type`. Uses the referrers API and, where the registry has none (404, as
  // distribution 2.8), the referrers tag schema: the index at tag `sha256-<hex>`. No referrers:
  // an empty index.
  absl::StatusOr<ImageIndex> Referrers(const Repository& repo, const Digest& digest,
                                       absl::string_view artifact_type = "");

  RegistryClientStats Stats() const;

 private:
  struct Call;
  struct Token {
    SecretData value;
    absl::Time expiry;
  };
  // What is known about one registry: how it authenticates and the tokens it gave us.
  struct RegistryState {
    enum class Auth { kUnknown, kBasic, kBearer };
    Auth auth = Auth::kUnknown;
    std::string realm;
    std::string service;
    std::map<std::string, Token> tokens;  // by scope
    std::string scheme;                   // insecure registries: "https" or "http" once probed
  };

  RegistryClient(net::HttpClient& http, RegistryClientOptions options,
                 net::HttpClient* insecure_tls);

  absl::StatusOr<net::HttpResponse> Send(const Call& call);
  absl::StatusOr<net::HttpResponse> SendOnce(const Call& call, const SecretData& authorization);
  absl::StatusOr<std::string> BaseUrl(absl::string_view registry);
  bool IsInsecure(absl::string_view registry) const;
  SecretData CachedAuthorization(absl::string_view registry, const std::string& scope);
  absl::StatusOr<SecretData> AnswerChallenge(const Call& call, const std::string& scope,
                                             const net::HttpResponse& unauthorized,
                                             bool sent_credentials);
  absl::StatusOr<Token> FetchToken(absl::string_view registry, const std::string& realm,
                                   const std::string& service,
                                   const std::vector<std::string>& scopes);
  net::HttpClient& ClientFor(absl::string_view registry, absl::string_view url);

  std::unique_ptr<net::HttpClient> owned_http_;
  std::unique_ptr<net::HttpClient> owned_insecure_tls_;
  net::HttpClient& http_;
  net::HttpClient* insecure_tls_;
  const RegistryClientOptions options_;

  mutable absl::Mutex mu_;
  std::map<std::string, RegistryState> registries_ ABSL_GUARDED_BY(mu_);

  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> challenges_{0};
  std::atomic<uint64_t> token_requests_{0};
};

// Scope: the token scope for `access` to `repo`: "repository:<path>:pull" or ":pull,push".
std::string TokenScope(const Repository& repo, Access access);

}  // namespace hallmark::oci

#endif  // HALLMARK_OCI_REGISTRY_CLIENT_H_
