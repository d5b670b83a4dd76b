// File: tests/deploy/deployment_args.h
//
// ContainerArgs: the args of a Deployment's container in kustomize output, so tests can run the
// real binary exactly as the Deployment would (substituting only what a cluster provides:
// addresses, mount paths, API access).
#ifndef HALLMARK_TESTS_DEPLOY_DEPLOYMENT_ARGS_H_
#define HALLMARK_TESTS_DEPLOY_DEPLOYMENT_ARGS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hallmark::tests::deploy {

// ContainerArgs: `args` of container `container` of Deployment `deployment` among the documents
// of `manifests` (multi-document YAML). kNotFound when there is no such container;
// kInvalidArgument for YAML that does not parse.
absl::StatusOr<std::vector<std::string>> ContainerArgs(absl::string_view manifests,
                                                       absl::string_view deployment,
                                                       absl::string_view container);

// Substitute: `args` with every occurrence of each key replaced by its value (in map order).
std::vector<std::string> Substitute(std::vector<std::string> args,
                                    const std::map<std::string, std::string>& replacements);

}  // namespace hallmark::tests::deploy

#endif  // HALLMARK_TESTS_DEPLOY_DEPLOYMENT_ARGS_H_
