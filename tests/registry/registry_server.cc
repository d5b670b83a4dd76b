#include "tests/registry/registry_server.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "base/encoding.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "base/testing/fixtures.h"
#include "httplib.h"
#include "net/curl_http_client.h"
#include "nlohmann/json.hpp"
#include "openssl/evp.h"

namespace hallmark::tests::registry {
namespace {

using ::hallmark::testing::BackgroundProcess;
using ::hallmark::testing::CommandResult;
using ::hallmark::testing::RunCommand;

constexpr char kDockerRegistry[] = "/usr/bin/docker-registry";
constexpr char kService[] = "hallmark-test-registry";
constexpr char kIssuer[] = "hallmark-test-token-issuer";

std::string Sha256Hex(absl::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr);
  return HexEncode(absl::string_view(reinterpret_cast<const char*>(out), len));
}

oci::Digest DigestOf(absl::string_view data) {
  return *oci::Digest::Parse(absl::StrCat("sha256:", Sha256Hex(data)));
}

absl::StatusOr<CommandResult> Run(const std::vector<std::string>& argv,
                                  absl::string_view stdin_data = "") {
  hallmark::testing::CommandOptions options;
  options.stdin_data = std::string(stdin_data);
  HM_ASSIGN_OR_RETURN(CommandResult r, RunCommand(argv, options));
  if (r.exit_code != 0) {
    return absl::InternalError(absl::StrCat(argv[0], " failed (", r.exit_code, "): ", r.err));
  }
  return r;
}

// The scopes a token request asks for: "repository:<name>:<actions>" strings.
struct Grant {
  std::string name;
  std::vector<std::string> actions;
};

}  // namespace

TestImage MakeTestImage(absl::string_view seed) {
  // Bytes that start like a gzip member; registries store layers without looking inside.
  std::string layer = absl::StrCat(std::string("\x1f\x8b\x08\x00", 4), "hallmark test layer ", seed,
                                   std::string(64, '\0'));
  const oci::Digest layer_digest = DigestOf(layer);
  std::string config = absl::StrCat(
      R"({"architecture":"amd64","os":"linux","config":{"Labels":{"seed":")", seed,
      R"("}},"rootfs":{"type":"layers","diff_ids":[")", layer_digest.String(), R"("]}})");
  const oci::Digest config_digest = DigestOf(config);
  std::string manifest = absl::StrCat(
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)",
      R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")",
      config_digest.String(), R"(","size":)", config.size(), R"(},)",
      R"("layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")",
      layer_digest.String(), R"(","size":)", layer.size(), R"(}]})");
  const oci::Digest digest = DigestOf(manifest);
  return TestImage{std::move(layer),
                   std::move(config),
                   std::move(manifest),
                   "application/vnd.oci.image.manifest.v1+json",
                   layer_digest,
                   config_digest,
                   digest};
}

absl::StatusOr<std::unique_ptr<RegistryServer>> RegistryServer::Start(
    RegistryServerOptions options) {
  if (!FileExists(kDockerRegistry)) {
    return absl::FailedPreconditionError(
        "docker-registry is not installed (apt-get install docker-registry)");
  }
  std::unique_ptr<RegistryServer> server(new RegistryServer());
  server->options_ = std::move(options);
  server->dir_ = hallmark::testing::TempDir();
  server->storage_dir_ = server->dir_ + "/storage";
  server->config_path_ = server->dir_ + "/config.yml";
  server->log_path_ = server->dir_ + "/registry.log";

  if (server->options_.auth == RegistryServerOptions::Auth::kToken) {
    HM_RETURN_IF_ERROR(server->StartTokenServer());
  }
  // FreePort can race with another process; try a few ports.
  absl::Status last = absl::UnavailableError("docker-registry did not start");
  for (int attempt = 0; attempt < 4; ++attempt) {
    server->port_ = hallmark::testing::FreePort();
    server->host_ = absl::StrCat("127.0.0.1:", server->port_);
    HM_RETURN_IF_ERROR(server->WriteConfig());
    last = server->Launch();
    if (last.ok()) return server;
  }
  return absl::UnavailableError(absl::StrCat("docker-registry did not start: ", last.message()));
}

absl::Status RegistryServer::Launch() {
  std::vector<std::string> argv = {kDockerRegistry, "serve", config_path_};
  if (options_.storage_limit_bytes > 0) {
    if (::mkdir(storage_dir_.c_str(), 0755) != 0 && errno != EEXIST) {
      return absl::InternalError(absl::StrCat("mkdir ", storage_dir_, ": ", strerror(errno)));
    }
    argv = {"/usr/bin/unshare",
            "--mount",
            "--propagation",
            "private",
            "/bin/sh",
            "-c",
            "mount -t tmpfs -o size=\"$1\" hallmark-registry \"$2\" && exec \"$3\" serve \"$4\"",
            "sh",
            absl::StrCat(options_.storage_limit_bytes),
            storage_dir_,
            kDockerRegistry,
            config_path_};
  }
  std::string log = launches_ == 0 ? log_path_ : absl::StrCat(log_path_, ".", launches_);
  ++launches_;
  HM_ASSIGN_OR_RETURN(process_, BackgroundProcess::Start(argv, log));
  absl::Status ready =
      process_->WaitForOutput(absl::StrCat("listening on ", host_), absl::Seconds(20));
  if (!ready.ok()) {
    process_->Stop();
    process_.reset();
    return absl::UnavailableError(ready.message());
  }
  return absl::OkStatus();
}

void RegistryServer::Stop() {
  if (process_ != nullptr) process_->Stop();
}

absl::Status RegistryServer::Restart() {
  if (options_.storage_limit_bytes > 0) {
    return absl::FailedPreconditionError("a registry with a storage limit cannot be restarted");
  }
  Stop();
  return Launch();
}

absl::Status RegistryServer::ResizeStorage(size_t bytes) {
  if (options_.storage_limit_bytes == 0 || process_ == nullptr || !process_->Running()) {
    return absl::FailedPreconditionError("no running registry with a storage limit");
  }
  return Run({"/usr/bin/nsenter", "--target", absl::StrCat(process_->pid()), "--mount", "--",
              "/bin/mount", "-o", absl::StrCat("remount,size=", bytes), storage_dir_})
      .status();
}

RegistryServer::~RegistryServer() {
  if (process_ != nullptr) process_->Stop();
  token_server_.reset();
}

std::string RegistryServer::Url(absl::string_view path) const {
  return absl::StrCat("http://", host_, path);
}

std::string RegistryServer::Log() const {
  std::string all;
  for (int i = 0; i < std::max(launches_, 1); ++i) {
    auto text = ReadFile(i == 0 ? log_path_ : absl::StrCat(log_path_, ".", i), 64 << 20);
    if (text.ok()) all += *text;
  }
  return all;
}

absl::Status RegistryServer::WriteConfig() {
  std::string auth;
  if (options_.auth == RegistryServerOptions::Auth::kHtpasswd) {
    std::string htpasswd;
    for (const auto& [user, password] : options_.users) {
      // The real tool, bcrypt (-B): distribution 2.8 accepts nothing else.
      HM_ASSIGN_OR_RETURN(CommandResult r, Run({"/usr/bin/htpasswd", "-Bbn", user, password}));
      absl::StrAppend(&htpasswd, absl::StripTrailingAsciiWhitespace(r.out), "\n");
    }
    HM_RETURN_IF_ERROR(WriteFileAtomic(dir_ + "/htpasswd", htpasswd, 0600));
    auth = absl::StrCat("auth:\n  htpasswd:\n    realm: hallmark-test\n    path: ", dir_,
                        "/htpasswd\n");
  } else if (options_.auth == RegistryServerOptions::Auth::kToken) {
    auth = absl::StrCat("auth:\n  token:\n    realm: ", token_realm_, "\n    service: ", kService,
                        "\n    issuer: ", kIssuer, "\n    rootcertbundle: ", dir_,
                        "/token-cert.pem\n");
  }
  absl::BitGen gen;
  std::string secret;
  for (int i = 0; i < 32; ++i) absl::StrAppend(&secret, absl::Uniform(gen, 0, 10));
  std::string config = absl::StrCat(
      "version: 0.1\n"
      "log:\n  level: info\n  formatter: text\n"
      "storage:\n  filesystem:\n    rootdirectory: ",
      storage_dir_,
      "\n  delete:\n    enabled: true\n  cache:\n    blobdescriptor: inmemory\n"
      "http:\n  addr: ",
      host_, "\n  secret: \"", secret, "\"\n", auth);
  return WriteFileAtomic(config_path_, config, 0600);
}

absl::Status RegistryServer::StartTokenServer() {
  token_key_path_ = dir_ + "/token-key.pem";
  const std::string cert_path = dir_ + "/token-cert.pem";
  HM_RETURN_IF_ERROR(
      Run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", token_key_path_,
           "-out", cert_path, "-days", "2", "-subj", "/CN=hallmark-test-token-issuer"})
          .status());
  HM_ASSIGN_OR_RETURN(CommandResult der,
                      Run({"openssl", "x509", "-in", cert_path, "-outform", "DER"}));
  token_cert_b64_ = Base64Encode(der.out);

  const RegistryServerOptions options = options_;
  const std::string key_path = token_key_path_;
  const std::string cert_b64 = token_cert_b64_;
  std::shared_ptr<std::atomic<int>> counter = token_requests_;
  httplib::Server::Handler handler = [options, key_path, cert_b64, counter](
                                         const httplib::Request& req, httplib::Response& res) {
    counter->fetch_add(1);
    std::string user;
    bool authenticated = false;
    std::string authorization = req.get_header_value("Authorization");
    if (absl::StartsWith(authorization, "Basic ")) {
      auto plain = Base64Decode(absl::StripPrefix(authorization, "Basic "));
      size_t colon = plain.ok() ? plain->find(':') : std::string::npos;
      if (colon == std::string::npos) {
        res.status = 401;
        return;
      }
      user = plain->substr(0, colon);
      auto it = options.users.find(user);
      if (it == options.users.end() || it->second != plain->substr(colon + 1)) {
        res.status = 401;
        res.set_content(R"({"details":"invalid username or password"})", "application/json");
        return;
      }
      authenticated = true;
    } else if (!options.anonymous_pull) {
      res.status = 401;
      res.set_content(R"({"details":"authentication required"})", "application/json");
      return;
    }
    if (req.get_param_value("service") != kService) {
      res.status = 400;
      return;
    }
    nlohmann::json access = nlohmann::json::array();
    for (size_t i = 0; i < req.get_param_value_count("scope"); ++i) {
      std::vector<std::string> parts = absl::StrSplit(req.get_param_value("scope", i), ':');
      if (parts.size() != 3 || parts[0] != "repository") continue;
      nlohmann::json actions = nlohmann::json::array();
      for (absl::string_view action : absl::StrSplit(parts[2], ',')) {
        const bool may_push = authenticated && options.read_only_users.count(user) == 0;
        if (action == "pull" || ((action == "push" || action == "delete") && may_push)) {
          actions.push_back(action);
        }
      }
      access.push_back({{"type", "repository"}, {"name", parts[1]}, {"actions", actions}});
    }
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    nlohmann::json header = {{"typ", "JWT"}, {"alg", "RS256"}, {"x5c", {cert_b64}}};
    nlohmann::json claims = {{"iss", kIssuer},
                             {"sub", user},
                             {"aud", kService},
                             {"exp", now + absl::ToInt64Seconds(options.token_lifetime)},
                             {"nbf", now - 10},
                             {"iat", now},
                             {"jti", absl::StrCat(now, "-", counter->load())},
                             {"access", access}};
    std::string signing_input =
        absl::StrCat(Base64UrlEncode(header.dump()), ".", Base64UrlEncode(claims.dump()));
    auto signature = Run({"openssl", "dgst", "-sha256", "-sign", key_path}, signing_input);
    if (!signature.ok()) {
      res.status = 500;
      return;
    }
    std::string token = absl::StrCat(signing_input, ".", Base64UrlEncode(signature->out));
    nlohmann::json body = {{"token", token},
                           {"access_token", token},
                           {"expires_in", absl::ToInt64Seconds(options.token_lifetime)}};
    res.set_content(body.dump(), "application/json");
  };
  if (!options_.token_over_https) {
    auto http = std::make_unique<httplib::Server>();
    http->Get("/token", handler);
    HM_ASSIGN_OR_RETURN(token_server_, net::testing::HttpTestServer::Start(std::move(http)));
    token_realm_ = token_server_->Url("/token");
    return absl::OkStatus();
  }
  // HTTPS: a CA and a server certificate for IP:127.0.0.1, then the same handler on an SSLServer.
  const std::string ca_key = dir_ + "/realm-ca.key";
  ca_file_ = dir_ + "/realm-ca.pem";
  const std::string key = dir_ + "/realm.key";
  const std::string csr = dir_ + "/realm.csr";
  const std::string cert = dir_ + "/realm.pem";
  const std::string ext = dir_ + "/realm.ext";
  HM_RETURN_IF_ERROR(Run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                          "ec_paramgen_curve:P-256", "-nodes", "-keyout", ca_key, "-out", ca_file_,
                          "-days", "2", "-subj", "/CN=hallmark-test-realm-ca"})
                         .status());
  HM_RETURN_IF_ERROR(Run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                          "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"})
                         .status());
  HM_RETURN_IF_ERROR(
      WriteFileAtomic(ext, "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n", 0600));
  HM_RETURN_IF_ERROR(Run({"openssl", "x509", "-req", "-in", csr, "-CA", ca_file_, "-CAkey", ca_key,
                          "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext})
                         .status());
  auto https = std::make_unique<httplib::SSLServer>(cert.c_str(), key.c_str());
  https->Get("/token", handler);
  HM_ASSIGN_OR_RETURN(token_server_,
                      net::testing::HttpTestServer::Start(std::move(https), /*https=*/true));
  token_realm_ = token_server_->Url("/token");
  return absl::OkStatus();
}

std::string RegistryServer::DockerConfigJson(absl::string_view user) const {
  auto it = options_.users.find(std::string(user));
  std::string password = it == options_.users.end() ? "" : it->second;
  nlohmann::json config = {
      {"auths", {{host_, {{"auth", Base64Encode(absl::StrCat(user, ":", password))}}}}}};
  return config.dump();
}

absl::StatusOr<SecretData> RegistryServer::PushAuthorization(absl::string_view repository) {
  if (options_.auth == RegistryServerOptions::Auth::kNone) return SecretData();
  if (options_.users.empty()) return absl::FailedPreconditionError("registry helper: no users");
  const auto& [user, password] = *options_.users.begin();
  std::string basic = absl::StrCat("Basic ", Base64Encode(absl::StrCat(user, ":", password)));
  if (options_.auth == RegistryServerOptions::Auth::kHtpasswd) return SecretData(basic);
  net::CurlHttpClientOptions http_options;
  http_options.tls.ca_file = ca_file_;  // "" unless the realm is HTTPS
  HM_ASSIGN_OR_RETURN(auto http, net::CurlHttpClient::New(http_options));
  net::HttpRequest token_request;
  token_request.url = absl::StrCat(token_realm_, "?service=", kService,
                                   "&scope=repository:", repository, ":pull,push,delete");
  token_request.authorization = SecretData(basic);
  HM_ASSIGN_OR_RETURN(net::HttpResponse r, http->Do(token_request));
  HM_RETURN_IF_ERROR(net::HttpStatusToStatus(r, "registry helper: token"));
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("token") || !j["token"].is_string()) {
    return absl::InternalError("registry helper: bad token response");
  }
  return SecretData(absl::StrCat("Bearer ", j["token"].get<std::string>()));
}

absl::Status RegistryServer::DeleteBlob(absl::string_view repository, const oci::Digest& digest) {
  HM_ASSIGN_OR_RETURN(auto http, net::CurlHttpClient::New());
  net::HttpRequest request;
  request.method = net::Method::kDelete;
  request.url = Url(absl::StrCat("/v2/", repository, "/blobs/", digest.String()));
  HM_ASSIGN_OR_RETURN(request.authorization, PushAuthorization(repository));
  HM_ASSIGN_OR_RETURN(net::HttpResponse r, http->Do(request));
  return net::HttpStatusToStatus(r, "registry helper: DELETE blob");
}

absl::StatusOr<TestImage> RegistryServer::PushImage(absl::string_view repository,
                                                    absl::string_view tag, absl::string_view seed) {
  TestImage image = MakeTestImage(seed);
  HM_ASSIGN_OR_RETURN(auto http, net::CurlHttpClient::New());
  HM_ASSIGN_OR_RETURN(SecretData authorization, PushAuthorization(repository));
  auto send = [&](net::Method method, const std::string& url, absl::string_view body,
                  absl::string_view content_type) -> absl::StatusOr<net::HttpResponse> {
    net::HttpRequest request;
    request.method = method;
    request.url = url;
    request.body = body;
    request.authorization = authorization;
    if (!content_type.empty()) request.headers.Add("Content-Type", content_type);
    HM_ASSIGN_OR_RETURN(net::HttpResponse r, http->Do(request));
    HM_RETURN_IF_ERROR(net::HttpStatusToStatus(r, absl::StrCat("PushImage: ", url)));
    return r;
  };
  for (const auto& [blob, digest] :
       {std::pair<const std::string*, const oci::Digest*>{&image.layer, &image.layer_digest},
        {&image.config, &image.config_digest}}) {
    HM_ASSIGN_OR_RETURN(
        net::HttpResponse started,
        send(net::Method::kPost, Url(absl::StrCat("/v2/", repository, "/blobs/uploads/")), "", ""));
    std::string location = started.headers.Get("Location").value_or("");
    if (!absl::StartsWith(location, "http")) location = Url(location);
    location = absl::StrCat(location, absl::StrContains(location, "?") ? "&" : "?",
                            "digest=", digest->String());
    HM_RETURN_IF_ERROR(
        send(net::Method::kPut, location, *blob, "application/octet-stream").status());
  }
  HM_RETURN_IF_ERROR(send(net::Method::kPut,
                          Url(absl::StrCat("/v2/", repository, "/manifests/", tag)), image.manifest,
                          image.manifest_type)
                         .status());
  return image;
}

}  // namespace hallmark::tests::registry
