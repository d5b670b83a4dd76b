// Fuzz target: label and field selector parsing. A selector that parses must also match without
// crashing, and parsing must be deterministic.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "tests/apiserver/selector.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hallmark::tests::apiserver;
  std::string input(reinterpret_cast<const char*>(data), size);
  Labels labels = {{"app", "web"}, {"tekton.dev/pipelineTask", "build"}, {"n", "5"}};
  auto a = LabelSelector::Parse(input);
  auto b = LabelSelector::Parse(input);
  if (a.ok() != b.ok()) std::abort();
  if (a.ok() && a->Matches(labels) != b->Matches(labels)) std::abort();
  auto f = FieldSelector::Parse(input);
  if (f.ok()) (void)f->Matches({{"metadata.name", "x"}});
  return 0;
}
