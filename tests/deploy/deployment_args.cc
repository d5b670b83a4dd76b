#include "tests/deploy/deployment_args.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "yaml-cpp/yaml.h"

namespace hallmark::tests::deploy {

absl::StatusOr<std::vector<std::string>> ContainerArgs(absl::string_view manifests,
                                                       absl::string_view deployment,
                                                       absl::string_view container) {
  try {
    for (const YAML::Node& doc : YAML::LoadAll(std::string(manifests))) {
      if (!doc.IsMap() || doc["kind"].as<std::string>("") != "Deployment" ||
          doc["metadata"]["name"].as<std::string>("") != deployment) {
        continue;
      }
      for (const YAML::Node& c : doc["spec"]["template"]["spec"]["containers"]) {
        if (c["name"].as<std::string>("") != container) continue;
        std::vector<std::string> args;
        for (const YAML::Node& a : c["args"]) args.push_back(a.as<std::string>());
        return args;
      }
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("manifests: ", e.what()));
  }
  return absl::NotFoundError(
      absl::StrCat("no container ", container, " in Deployment ", deployment));
}

std::vector<std::string> Substitute(std::vector<std::string> args,
                                    const std::map<std::string, std::string>& replacements) {
  for (std::string& a : args) {
    for (const auto& [from, to] : replacements) a = absl::StrReplaceAll(a, {{from, to}});
  }
  return args;
}

}  // namespace hallmark::tests::deploy
