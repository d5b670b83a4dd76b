#include <cstdio>

#include "cmd/cli.h"
#include "cmd/version.h"
#include "curl/curl.h"
#include "openssl/crypto.h"

namespace hallmark::cmd {

void RegisterVersion(CLI::App& app, int* exit_code) {
  CLI::App* sub = app.add_subcommand("version", "Print the version of hallmark and its libraries");
  sub->callback([exit_code] {
    std::printf("hallmark %s\n", kVersion);
    std::printf("  openssl  %s\n", OpenSSL_version(OPENSSL_VERSION_STRING));
    std::printf("  libcurl  %s\n", curl_version_info(CURLVERSION_NOW)->version);
    *exit_code = kExitOk;
  });
}

}  // namespace hallmark::cmd
