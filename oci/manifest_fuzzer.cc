// Fuzz target for manifests and indexes from registries: any input is either rejected with
// kInvalidArgument or parses to a value that serialises and parses back to the same value,
// within the layer limit.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "oci/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  auto m = hallmark::oci::ImageManifest::Parse(input);
  if (!m.ok()) {
    if (m.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
  } else {
    if (m->layers.size() > hallmark::oci::kMaxLayers) std::abort();
    auto again = hallmark::oci::ImageManifest::Parse(m->Serialize());
    if (!again.ok() || again->layers != m->layers || !(again->config == m->config)) std::abort();
  }
  auto index = hallmark::oci::ImageIndex::Parse(input);
  if (!index.ok() && index.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
  if (index.ok()) {
    auto again = hallmark::oci::ImageIndex::Parse(index->Serialize());
    if (!again.ok() || again->manifests != index->manifests) std::abort();
  }
  return 0;
}
