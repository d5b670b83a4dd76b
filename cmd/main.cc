// hallmark: one binary, cosign-like verbs. See `hallmark --help`.
#include <cstdio>

#include "cmd/cli.h"
#include "cmd/version.h"

int main(int argc, char** argv) {
  CLI::App app{
      "hallmark: signs Tekton runs (SLSA provenance, cosign signatures) and verifies them like "
      "cosign and Kyverno"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("hallmark ") + hallmark::cmd::kVersion);
  int exit_code = hallmark::cmd::kExitOk;
  hallmark::cmd::RegisterVersion(app, &exit_code);
  hallmark::cmd::RegisterKeys(app, &exit_code);
  hallmark::cmd::RegisterProvenance(app, &exit_code);
  hallmark::cmd::RegisterImageSigning(app, &exit_code);
  hallmark::cmd::RegisterPolicy(app, &exit_code);
  hallmark::cmd::RegisterWebhook(app, &exit_code);
  hallmark::cmd::RegisterAgent(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
