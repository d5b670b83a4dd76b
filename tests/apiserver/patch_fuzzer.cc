// Fuzz target: the three patch formats on arbitrary documents. Input: a JSON document, a newline,
// a JSON patch. Checks they never crash and that a merge patch is idempotent (RFC 7386: applying
// the same merge patch twice changes nothing more).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "nlohmann/json.hpp"
#include "tests/apiserver/builtin_catalog.h"
#include "tests/apiserver/json_patch.h"
#include "tests/apiserver/merge_patch.h"
#include "tests/apiserver/strategic_merge_patch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nlohmann::json;
  using namespace hallmark::tests::apiserver;
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t nl = input.find('\n');
  if (nl == std::string::npos) return 0;
  json doc = json::parse(input.substr(0, nl), nullptr, false);
  json patch = json::parse(input.substr(nl + 1), nullptr, false);
  if (doc.is_discarded() || patch.is_discarded()) return 0;
  (void)ApplyJsonPatch(doc, patch);
  json once = ApplyMergePatch(doc, patch);
  if (ApplyMergePatch(once, patch) != once) std::abort();
  const SchemaSet& set = BuiltinSchemas();
  (void)ApplyStrategicMergePatch(doc, patch, set, set.Get("io.k8s.api.apps.v1.Deployment"));
  (void)ApplyStrategicMergePatch(doc, patch, set, nullptr);
  return 0;
}
