// Fuzz target: kubeconfig YAML through SelectKubeconfig (parse, merge, select, validate; no
// file reads). The input is one file, or two files separated by a line "---FILE---" (to reach
// the merge rules). Checks that a selection that succeeds is consistent: a server URL, never
// insecure together with a CA, never a certificate without a key.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "kube/internal/kubeconfig.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  std::vector<hallmark::kube::internal::KubeconfigFile> files;
  size_t split = input.find("\n---FILE---\n");
  if (split == std::string::npos) {
    files.push_back({"/fuzz/config", input});
  } else {
    files.push_back({"/fuzz/a/config", input.substr(0, split)});
    files.push_back({"relative/b", input.substr(split + 12)});
  }
  auto sel = hallmark::kube::internal::SelectKubeconfig(files, "");
  if (!sel.ok()) return 0;
  if (!absl::StartsWithIgnoreCase(sel->server, "http://") &&
      !absl::StartsWithIgnoreCase(sel->server, "https://")) {
    std::abort();
  }
  if (sel->insecure_skip_tls_verify && (!sel->ca_file.empty() || !sel->ca_data.empty())) {
    std::abort();
  }
  bool cert = !sel->client_certificate_file.empty() || !sel->client_certificate_data.empty();
  bool key = !sel->client_key_file.empty() || !sel->client_key_data.empty();
  if (cert != key) std::abort();
  return 0;
}
