// Fuzz target: chains-config data (one "key=value" per line) must parse or be refused with a
// status, never crash; a parsed config summarises and compares.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "absl/strings/str_split.h"
#include "chains/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::map<std::string, std::string> cm;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    cm[kv.first] = kv.second;
  }
  absl::StatusOr<hallmark::chains::config::Config> c = hallmark::chains::config::Config::Parse(cm);
  if (c.ok()) {
    (void)c->Summary();
    (void)c->TaskRunFormat();
    (void)(*c == *c);
    (void)c->NeedsSigner();
  }
  return 0;
}
