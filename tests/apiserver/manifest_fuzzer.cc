// Fuzz target: everything that turns request or file bytes into objects: YAML/JSON manifests
// (--seed, apply-patch bodies) and protobuf bodies of typed kubectl commands.
#include <cstdint>
#include <string>

#include "tests/apiserver/protobuf_codec.h"
#include "tests/apiserver/seed.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hallmark::tests::apiserver;
  std::string input(reinterpret_cast<const char*>(data), size);
  (void)ParseManifests(input, "fuzz");
  (void)DecodeProtobufObject(input);
  (void)DecodeProtobufObject(std::string("k8s\0", 4) + input);
  return 0;
}
