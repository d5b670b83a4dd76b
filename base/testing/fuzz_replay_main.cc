// Replays a fuzz target over files (a seed corpus, or crash reproducers) with the normal
// toolchain, so every fuzz target is also a regression test that runs in `bazel test`. The
// libFuzzer build of the same target (scripts/fuzz) links libFuzzer's main instead of this one.
//
// Arguments: files or folders (folders are walked recursively); `shared:<path>` is resolved
// against $HALLMARK_SHARED (the ../shared folder with the fixtures). With none, the target still
// runs once on an empty input.
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("shared:", 0) == 0) {
      const char* shared = std::getenv("HALLMARK_SHARED");
      if (shared == nullptr) {
        std::fprintf(stderr, "fuzz replay: HALLMARK_SHARED is not set (run scripts/test)\n");
        return 2;
      }
      arg = std::string(shared) + "/" + arg.substr(7);
    }
    std::filesystem::path p(arg);
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(p, ec)) {
        if (entry.is_regular_file()) files.push_back(entry.path().string());
      }
    } else if (std::filesystem::is_regular_file(p, ec)) {
      files.push_back(p.string());
    } else {
      std::fprintf(stderr, "fuzz replay: no such corpus path %s\n", argv[i]);
      return 2;
    }
  }
  LLVMFuzzerTestOneInput(nullptr, 0);
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string data = ss.str();
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  }
  std::printf("fuzz replay: %zu inputs ran without a crash\n", files.size());
  return 0;
}
