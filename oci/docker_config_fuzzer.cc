// Fuzz target for docker config.json / .dockercfg text: never crashes, errors are
// kInvalidArgument, lookups on the result are safe.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "oci/docker_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  for (bool legacy : {false, true}) {
    auto k = legacy ? hallmark::oci::Keychain::ParseDockerCfg(input)
                    : hallmark::oci::Keychain::ParseDockerConfigJson(input);
    if (!k.ok()) {
      if (k.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
      continue;
    }
    (void)k->Find("index.docker.io");
    (void)k->HelperFor("registry.example");
  }
  return 0;
}
