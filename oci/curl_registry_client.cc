#include "oci/curl_registry_client.h"

#include <utility>

#include "base/status_macros.h"
#include "net/curl_http_client.h"

namespace hallmark::oci {

absl::StatusOr<std::unique_ptr<RegistryClient>> NewCurlRegistryClient(
    RegistryClientOptions options, const RegistryTransportOptions& transport) {
  net::CurlHttpClientOptions http_options;
  http_options.tls.ca_file = transport.ca_file;
  http_options.user_agent = transport.user_agent;
  http_options.connect_timeout = transport.connect_timeout;
  HM_ASSIGN_OR_RETURN(std::unique_ptr<net::CurlHttpClient> http,
                      net::CurlHttpClient::New(http_options));
  std::unique_ptr<net::CurlHttpClient> insecure;
  if (options.allow_insecure_registries || !options.insecure_registries.empty()) {
    net::CurlHttpClientOptions insecure_options;
    insecure_options.tls.insecure_skip_verify = true;
    insecure_options.user_agent = transport.user_agent;
    insecure_options.connect_timeout = transport.connect_timeout;
    HM_ASSIGN_OR_RETURN(insecure, net::CurlHttpClient::New(insecure_options));
  }
  return RegistryClient::New(std::move(http), std::move(options), std::move(insecure));
}

}  // namespace hallmark::oci
