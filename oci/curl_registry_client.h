// File: oci/curl_registry_client.h
//
// NewCurlRegistryClient: a RegistryClient over libcurl (net::CurlHttpClient), for the binaries
// and for packages that must not wire HTTP themselves (verifier, storage, cmd). It owns its
// HttpClient(s).
//
//   RegistryClientOptions options;
//   options.keychain = *Keychain::LoadDefault();
//   RegistryTransportOptions transport;
//   transport.ca_file = "/etc/ssl/registry-ca.pem";          // --registry-cacert
//   HM_ASSIGN_OR_RETURN(auto client, NewCurlRegistryClient(options, transport));
#ifndef HALLMARK_OCI_CURL_REGISTRY_CLIENT_H_
#define HALLMARK_OCI_CURL_REGISTRY_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "oci/registry_client.h"

namespace hallmark::oci {

struct RegistryTransportOptions {
  // Extra trust anchors for registries (PEM bundle file); empty: the system bundle.
  std::string ca_file;
  std::string user_agent = "hallmark";
  absl::Duration connect_timeout = absl::Seconds(10);
};

// NewCurlRegistryClient builds the libcurl HttpClient (and, when `options` allows insecure
// registries, a second one with certificate verification off, used only for those) and a
// RegistryClient owning them. Errors of CurlHttpClient::New (kInvalidArgument, kNotFound for a
// missing CA file) and RegistryClient::New.
absl::StatusOr<std::unique_ptr<RegistryClient>> NewCurlRegistryClient(
    RegistryClientOptions options, const RegistryTransportOptions& transport = {});

}  // namespace hallmark::oci

#endif  // HALLMARK_OCI_CURL_REGISTRY_CLIENT_H_
