// File: tests/registry/registry_server.h
//
// RegistryServer: a REAL OCI registry for integration tests - Debian's /usr/bin/docker-registry
// (CNCF distribution 2.8.2) on 127.0.0.1 with a free port, its own config and storage folder in
// TEST_TMPDIR, stopped by the destructor. Three variants:
//   - anonymous (the default): anyone may pull and push;
//   - htpasswd: HTTP Basic, users from `users` written by the real `htpasswd -Bbn` (bcrypt);
//   - token: distribution's `auth: token` with a token issuer run by this helper (cpp-httplib on
//     127.0.0.1, plain HTTP): it checks Basic credentials against `users` and issues RS256 JWTs
//     signed by the `openssl` CLI with a throwaway key whose self-signed certificate is the
//     registry's `rootcertbundle`; the header carries the certificate (`x5c`).
//
//   RegistryServerOptions options;
//   options.auth = RegistryServerOptions::Auth::kToken;
//   options.users = {{"alice", "wonderland"}};
//   ASSERT_OK_AND_ASSIGN(auto registry, RegistryServer::Start(options));
//   std::string ref = registry->host() + "/demo/app:v1";          // "127.0.0.1:41234/demo/app:v1"
//   ASSERT_OK_AND_ASSIGN(TestImage image, registry->PushImage("demo/app", "v1"));
//   WriteFileOrDie(dir + "/config.json", registry->DockerConfigJson("alice"));
//
// Loopback registries are plain HTTP for every client we test with (ours, go-containerregistry),
// so no TLS is involved. Registry traffic is logged (access log included) to Log().
//
// Not thread-safe to configure; the registry itself serves concurrent clients.
#ifndef HALLMARK_TESTS_REGISTRY_REGISTRY_SERVER_H_
#define HALLMARK_TESTS_REGISTRY_REGISTRY_SERVER_H_

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/secret_data.h"
#include "base/testing/process.h"
#include "net/testing/http_test_server.h"
#include "oci/reference.h"

namespace hallmark::tests::registry {

struct RegistryServerOptions {
  enum class Auth { kNone, kHtpasswd, kToken };
  Auth auth = Auth::kNone;
  // username -> password. Every user may pull and push everything, except read_only_users
  // (token variant: pull only).
  std::map<std::string, std::string> users;
  std::set<std::string> read_only_users;
  // Token variant: anonymous token requests get pull access (else they are refused with 401).
  bool anonymous_pull = false;
  absl::Duration token_lifetime = absl::Minutes(5);
  // Token variant: serve the realm over HTTPS with a certificate for IP:127.0.0.1 issued by a
  // throwaway CA (made with the openssl CLI; its PEM is at ca_file()), for tests of custom CA
  // bundles. The registry itself stays plain HTTP (it is loopback).
  bool token_over_https = false;
  // > 0: the storage folder is a tmpfs of this many bytes, mounted in a private mount namespace
  // the registry runs in (`unshare --mount`), so writes beyond it fail with ENOSPC as on a full
  // disk. Such a registry's storage is not visible from outside (storage_dir() is empty there),
  // dies with the process (no Restart), and can be grown with ResizeStorage.
  size_t storage_limit_bytes = 0;
};

// A small OCI image made by MakeTestImage: one layer, its config and the manifest.
struct TestImage {
  std::string layer;          // a gzip-looking blob (not a real tarball: registries never look)
  std::string config;         // OCI config JSON whose rootfs.diff_ids names the layer
  std::string manifest;       // OCI image manifest JSON
  std::string manifest_type;  // application/vnd.oci.image.manifest.v1+json
  oci::Digest layer_digest;
  oci::Digest config_digest;
  oci::Digest digest;  // of the manifest
};

// MakeTestImage: a deterministic image; different seeds give different digests.
TestImage MakeTestImage(absl::string_view seed);

class RegistryServer {
 public:
  // Start writes the config (and htpasswd file or token key pair), starts docker-registry and
  // waits until it listens (a few hundred ms). Errors: kUnavailable if it does not come up (the
  // message holds the end of its log), kInternal if a tool fails.
  static absl::StatusOr<std::unique_ptr<RegistryServer>> Start(RegistryServerOptions options = {});
  ~RegistryServer();
  RegistryServer(const RegistryServer&) = delete;
  RegistryServer& operator=(const RegistryServer&) = delete;

  // host: "127.0.0.1:<port>", the registry part of image references.
  const std::string& host() const { return host_; }
  int port() const { return port_; }
  // Url: "http://127.0.0.1:<port>" + path.
  std::string Url(absl::string_view path) const;
  // storage_dir: the registry's filesystem storage root (tests may inspect or corrupt it).
  const std::string& storage_dir() const { return storage_dir_; }
  // Token variant: the realm URL, and how many token requests were answered (any outcome).
  const std::string& token_realm() const { return token_realm_; }
  // ca_file: the CA that issued the HTTPS token realm's certificate ("" unless token_over_https).
  const std::string& ca_file() const { return ca_file_; }
  int token_requests() const { return token_requests_->load(); }

  // DockerConfigJson: a config.json granting `user` (its password from the options) on this
  // registry, as `docker login` writes it (`auths.<host>.auth`).
  std::string DockerConfigJson(absl::string_view user) const;

  // PushImage pushes MakeTestImage(seed) to `<host>/<repository>:<tag>` with plain HTTP requests
  // (POST+PUT per blob, PUT manifest), authenticating as the first user when the registry needs
  // it. Returns the image.
  absl::StatusOr<TestImage> PushImage(absl::string_view repository, absl::string_view tag,
                                      absl::string_view seed = "hallmark");

  // DeleteBlob unlinks a blob from `repository` (DELETE /v2/<repository>/blobs/<digest>; the
  // config enables deletes), as garbage collection would, for tests of clients that remember
  // which blobs exist.
  absl::Status DeleteBlob(absl::string_view repository, const oci::Digest& digest);

  // Log: everything docker-registry printed so far (every process, after Restart).
  std::string Log() const;

  // Stop: the registry process ends (SIGTERM); its storage stays. Restart: a new process with the
  // same config and storage on the same port, waiting until it listens (kUnavailable if it does
  // not come up, e.g. the port was taken meanwhile; kFailedPrecondition with a storage limit).
  void Stop();
  absl::Status Restart();
  // ResizeStorage: remounts the tmpfs of a storage_limit_bytes registry with a new size (an
  // operator growing a full volume). kFailedPrecondition without a limit or when not running.
  absl::Status ResizeStorage(size_t bytes);

 private:
  RegistryServer() = default;
  absl::Status StartTokenServer();
  // The Authorization value for pushing to `repository` as the first user ("" if anonymous).
  absl::StatusOr<SecretData> PushAuthorization(absl::string_view repository);
  absl::Status WriteConfig();
  // Launch: starts the process on host_ and waits until it listens.
  absl::Status Launch();

  RegistryServerOptions options_;
  std::string dir_;
  std::string storage_dir_;
  std::string config_path_;
  std::string log_path_;
  int launches_ = 0;
  std::string host_;
  int port_ = 0;
  std::string token_realm_;
  std::string token_key_path_;
  std::string token_cert_b64_;
  std::string ca_file_;
  std::shared_ptr<std::atomic<int>> token_requests_ = std::make_shared<std::atomic<int>>(0);
  std::unique_ptr<net::testing::HttpTestServer> token_server_;
  std::unique_ptr<hallmark::testing::BackgroundProcess> process_;
};

}  // namespace hallmark::tests::registry

#endif  // HALLMARK_TESTS_REGISTRY_REGISTRY_SERVER_H_
