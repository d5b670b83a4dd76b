// hallmark-apiserver: a faithful local Kubernetes API server for tests, the demo and anyone
// without a cluster. This file only parses flags and runs tests/apiserver/server.h.
#include <signal.h>

#include <cstdio>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/http_server_thread.h"
#include "base/log.h"
#include "tests/apiserver/server.h"

namespace {

using hallmark::SecretData;
using hallmark::tests::apiserver::ApiServer;
using hallmark::tests::apiserver::ServerOptions;

constexpr char kDescription[] =
    R"(hallmark-apiserver: a local Kubernetes API server that kubectl, client-go style
clients and python-kubernetes cannot tell from kube-apiserver for the verbs they use.

It serves /version, discovery, /openapi/v3, the core/v1, apps/v1, batch/v1, rbac, coordination,
events, admissionregistration, apiextensions (CRDs), policy, networking, autoscaling and
scheduling resources, and pre-installs the tekton.dev (pipelineruns, taskruns, pipelines, tasks)
and kyverno.io (clusterpolicies, policies) CRDs. Writes go through admission webhooks
configured by Mutating/ValidatingWebhookConfiguration objects. Watches stream chunked JSON.

It prints exactly one line, "listening on http(s)://HOST:PORT", when it is ready, and stops
cleanly on SIGTERM or SIGINT (writing --data first).

Test knobs (outside the API paths, never authenticated), under /__hallmark/:
  GET state; POST compact[?revision=N]; POST drop-watches[?abrupt=1];
  POST|GET|DELETE faults  {"path": REGEX, "method"?, "verb"?, "code"?, "retryAfter"?,
                           "stallSeconds"?, "count"?: 1};
  PUT tokens {"tokens": [...]}; GET|DELETE requests[?since=SEQ];
  PUT watch-settings {"bookmarkIntervalSeconds", "expiredAs": "event"|"http", "maxPageSize"};
  POST seed (YAML or JSON objects, stored as given, status included).)";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{kDescription, "hallmark-apiserver"};
  std::string listen = "127.0.0.1:0";
  std::string tls_cert, tls_key, tls_self_signed, client_ca, data, request_log;
  std::vector<std::string> tokens, seeds, webhook_hosts;
  int threads = 128;
  size_t history = 50000;
  app.add_option("--listen", listen,
                 "HOST:PORT to listen on ([::1]:PORT for IPv6); port 0 picks a free port")
      ->type_name("HOST:PORT")
      ->capture_default_str();
  app.add_option("--tls-cert", tls_cert, "serve HTTPS with this PEM certificate (chain)")
      ->type_name("FILE");
  app.add_option("--tls-key", tls_key, "the PEM private key of --tls-cert")->type_name("FILE");
  app.add_option("--tls-self-signed", tls_self_signed,
                 "serve HTTPS with a test CA and server certificate written to DIR (ca.crt, "
                 "tls.crt, tls.key; SANs 127.0.0.1, ::1, localhost; reused if present)")
      ->type_name("DIR");
  app.add_option("--client-ca", client_ca,
                 "accept client certificates issued by this CA bundle (CN = user, O = groups)")
      ->type_name("FILE");
  app.add_option("--token", tokens,
                 "accept this bearer token (repeatable); with tokens or --client-ca every API "
                 "request must authenticate (401 otherwise)")
      ->type_name("TOKEN");
  app.add_option("--data", data,
                 "keep the store in FILE: loaded at start if it exists, written atomically "
                 "after changes and on exit")
      ->type_name("FILE");
  app.add_option("--seed", seeds,
                 "store the objects of a YAML/JSON file or folder at start (repeatable; "
                 "multi-document YAML and List kinds; status kept)")
      ->type_name("FILE|DIR");
  app.add_option("--webhook-host", webhook_hosts,
                 "NAME=HOST:PORT: call admission webhooks whose clientConfig.service is NAME "
                 "(\"svc.namespace.svc\" or \"svc.namespace\") at HOST:PORT (repeatable)")
      ->type_name("NAME=HOST:PORT");
  app.add_option("--request-log", request_log,
                 "append every API request (method, path, query, user agent, status, verb, "
                 "resource) to FILE as JSON lines")
      ->type_name("FILE");
  app.add_option("--threads", threads, "connections served at once; each watch holds one")
      ->capture_default_str();
  app.add_option("--history-events", history,
                 "watch events kept before compaction (older resourceVersions get 410 Expired)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  ServerOptions options;
  if (!hallmark::ParseListenAddress(listen, &options.host, &options.port).ok()) {
    std::fprintf(stderr, "hallmark-apiserver: --listen wants HOST:PORT, got \"%s\"\n",
                 listen.c_str());
    return 2;
  }
  options.tls_cert = tls_cert;
  options.tls_key = tls_key;
  options.tls_self_signed_dir = tls_self_signed;
  options.client_ca = client_ca;
  for (const auto& t : tokens) options.tokens.emplace_back(t);
  options.data_file = data;
  options.seeds = seeds;
  for (const auto& w : webhook_hosts) {
    size_t eq = w.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == w.size()) {
      std::fprintf(stderr, "hallmark-apiserver: --webhook-host wants NAME=HOST:PORT, got \"%s\"\n",
                   w.c_str());
      return 2;
    }
    options.webhook_hosts[w.substr(0, eq)] = w.substr(eq + 1);
  }
  options.request_log_file = request_log;
  options.threads = threads;
  options.history_limit = history;

  // Signals are taken synchronously by this thread; every thread started later inherits the
  // mask, so SIGTERM never interrupts a request handler.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto server = ApiServer::New(std::move(options));
  if (!server.ok()) {
    std::fprintf(stderr, "hallmark-apiserver: %s\n",
                 std::string(server.status().message()).c_str());
    return 1;
  }
  absl::Status started = (*server)->Start();
  if (!started.ok()) {
    std::fprintf(stderr, "hallmark-apiserver: %s\n", std::string(started.message()).c_str());
    return 1;
  }
  std::printf("listening on %s\n", (*server)->url().c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  hallmark::log::Info("stopping", {{"signal", absl::StrCat(sig)}});
  (*server)->Stop();
  return 0;
}
