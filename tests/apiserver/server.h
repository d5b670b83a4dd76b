// File: tests/apiserver/server.h
//
// ApiServer: hallmark-apiserver's HTTP(S) front end over ApiEngine: routing of the Kubernetes
// REST paths (/api/v1/..., /apis/<group>/<version>/..., namespaced and cluster-wide),
// discovery, OpenAPI v3, authentication, chunked watch streams, admission webhooks, the request
// log, persistence of the store (--data) and the test knobs under /__hallmark/ (outside the API
// paths, never authenticated):
//
//   GET    /__hallmark/state                   revision, compaction floor, counts
//   POST   /__hallmark/compact[?revision=N]    forget watch history up to N (default: now)
//   POST   /__hallmark/drop-watches[?abrupt=1] end every watch (abrupt: close the connection)
//   POST   /__hallmark/faults                  add a fault rule (faults.h); GET lists; DELETE
//   clears PUT    /__hallmark/tokens                  {"tokens": [...]} replaces the accepted
//   tokens GET    /__hallmark/requests[?since=SEQ]    the request log; DELETE clears it PUT
//   /__hallmark/watch-settings          {"bookmarkIntervalSeconds": 1,
//                                               "expiredAs": "event"|"http", "maxPageSize": 0}
//   POST   /__hallmark/seed                    YAML/JSON objects stored as-is (status kept)
//
//   HM_ASSIGN_OR_RETURN(auto server, ApiServer::New(options));
//   HM_RETURN_IF_ERROR(server->Start());
//   std::cout << "listening on " << server->url() << "\n";
//   ...
//   server->Stop();
#ifndef HALLMARK_TESTS_APISERVER_SERVER_H_
#define HALLMARK_TESTS_APISERVER_SERVER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "base/secret_data.h"
#include "tests/apiserver/engine.h"

namespace hallmark::tests::apiserver {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: pick a free port
  // TLS: either a certificate and key, or a directory to create a self-signed set in.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_self_signed_dir;
  std::string client_ca;           // verify client certificates against this CA bundle
  std::vector<SecretData> tokens;  // accepted bearer tokens
  std::string data_file;           // persist the store here (loaded at start if present)
  std::vector<std::string> seeds;  // YAML/JSON files or folders stored at start
  std::map<std::string, std::string> webhook_hosts;  // "svc.ns.svc" or "svc.ns" -> "host:port"
  std::string request_log_file;
  int threads = 128;  // connections served at once (each watch holds one)
  size_t history_limit = 50000;
  Clock* clock = nullptr;  // not owned; the real clock by default
};

class ApiServer {
 public:
  // New loads TLS material, the data file and the seeds; it does not listen yet.
  // kInvalidArgument for unusable options or files.
  static absl::StatusOr<std::unique_ptr<ApiServer>> New(ServerOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Start binds the listener and serves on a background thread. kUnavailable if the address
  // cannot be bound.
  absl::Status Start();
  // Stop ends watches, stops listening, waits for in-flight requests and writes --data. Safe to
  // call more than once.
  void Stop();

  int port() const;
  // url: "http://127.0.0.1:PORT" or "https://...", with the bound port.
  std::string url() const;
  ApiEngine* engine();

 private:
  ApiServer() = default;
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hallmark::tests::apiserver

#endif  // HALLMARK_TESTS_APISERVER_SERVER_H_
