// `hallmark policy apply`: Kyverno verifyImages policies against resource files, offline, like
// `kyverno apply` (verifier/policy/apply.h does the work).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/yaml_json.h"
#include "cmd/cli.h"
#include "oci/docker_config.h"
#include "verifier/policy/apply.h"
#include "verifier/policy/engine.h"
#include "verifier/policy/registry_source.h"

namespace hallmark::cmd {
namespace {

struct ApplyFlags {
  std::vector<std::string> policies;
  std::vector<std::string> resources;
  std::string registry_config;
  std::string registry_cacert;
  bool allow_insecure = false;
  bool insecure_ignore_tlog = false;
  std::string output;
};

int Fail(absl::string_view message) {
  std::fprintf(stderr, "Error: %s\n", std::string(message).c_str());
  return kExitError;
}

int RunApply(const ApplyFlags& flags) {
  verifier::policy::LoadOptions load;
  load.insecure_ignore_tlog = flags.insecure_ignore_tlog;
  auto policies = verifier::policy::LoadPolicyFiles(flags.policies, load);
  if (!policies.ok())
    return Fail(absl::StrCat("failed to load policies: ", policies.status().message()));
  auto resources = verifier::policy::LoadResourceFiles(flags.resources);
  if (!resources.ok())
    return Fail(absl::StrCat("failed to load resources: ", resources.status().message()));
  if (!flags.output.empty() && flags.output != "yaml") {
    return Fail(absl::StrCat("unknown output format \"", flags.output, "\" (want yaml)"));
  }
  verifier::policy::RegistrySourceOptions ropts;
  auto keychain = flags.registry_config.empty() ? oci::Keychain::LoadDefault()
                                                : oci::Keychain::LoadFile(flags.registry_config);
  if (!keychain.ok()) return Fail(keychain.status().message());
  ropts.client.keychain = *std::move(keychain);
  ropts.client.allow_insecure_registries = flags.allow_insecure;
  ropts.transport.ca_file = flags.registry_cacert;
  auto images = verifier::policy::RegistryImageSource::New(ropts);
  if (!images.ok()) return Fail(images.status().message());
  verifier::policy::EngineOptions eopts;
  eopts.images = images->get();
  verifier::policy::Engine engine(eopts);
  verifier::policy::ApplyReport report =
      verifier::policy::ApplyPolicies(engine, *policies, *resources);
  if (flags.output == "yaml") {
    for (const verifier::policy::ResourceOutcome& r : report.resources) {
      std::printf("---\n%s", JsonToYaml(r.patched).c_str());
    }
    std::fprintf(stderr, "%s", verifier::policy::FormatApplyReport(report).c_str());
  } else {
    std::printf("%s", verifier::policy::FormatApplyReport(report).c_str());
  }
  return report.enforce_failure ? kExitError : kExitOk;
}

}  // namespace

void RegisterPolicy(CLI::App& app, int* exit_code) {
  CLI::App* policy = app.add_subcommand("policy", "Kyverno verifyImages policies");
  policy->require_subcommand(1);
  CLI::App* apply = policy->add_subcommand(
      "apply",
      "Apply ClusterPolicies with verifyImages rules to resource files, like `kyverno apply`: "
      "pass/fail per resource and rule; exit 1 on any Enforce failure");
  auto flags = std::make_shared<ApplyFlags>();
  apply->add_option("--policy,-p", flags->policies, "Policy file or folder (repeatable)")
      ->required();
  apply->add_option("--resource,-r", flags->resources, "Resource file or folder (repeatable)")
      ->required();
  apply->add_option("--registry-config", flags->registry_config,
                    "Docker config.json with registry credentials (default: $DOCKER_CONFIG/"
                    "config.json, else ~/.docker/config.json); imageRegistryCredentials.secrets "
                    "are not read offline");
  apply->add_option("--registry-cacert", flags->registry_cacert,
                    "PEM bundle of extra CAs trusted for registry TLS");
  apply->add_flag("--allow-insecure-registry", flags->allow_insecure,
                  "Allow plain HTTP and unverified TLS to every registry");
  apply->add_flag("--insecure-ignore-tlog", flags->insecure_ignore_tlog,
                  "Accept entries that require a Rekor transparency log and verify them with "
                  "the key alone (Hallmark has no Rekor support)");
  apply->add_option("-o,--output", flags->output,
                    "yaml: print the resources as mutated (digests pinned, annotated); the report "
                    "then goes to standard error");
  apply->callback([flags, exit_code] { *exit_code = RunApply(*flags); });
}

}  // namespace hallmark::cmd
