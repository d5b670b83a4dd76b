// Self-test of the fuzz replay driver: decodes every input as base64 (a real parser of ours) and
// checks that a successful decode re-encodes to a canonical form that decodes to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "base/encoding.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  auto decoded = hallmark::Base64DecodeLenient(input);
  if (decoded.ok()) {
    auto again = hallmark::Base64Decode(hallmark::Base64Encode(*decoded));
    if (!again.ok() || *again != *decoded) std::abort();
  }
  return 0;
}
