// File: base/yaml_stream.h
//
// A guard to call before YAML::LoadAll on untrusted text. Debian 12's yaml-cpp 0.7.0 never
// returns from LoadAll on a ',' outside a flow collection at the top level (`,`, `{},`, `[],`):
// the parser reports an empty document forever without consuming the token, and LoadAll
// allocates a null node per turn until the process is killed (yaml-cpp#1040, fixed upstream by
// #1319 in 2024; found here by scripts/fuzz, 15 GiB in a minute from three bytes). YAML::Load
// (one document) is not affected.
//
//   HM_RETURN_IF_ERROR(CheckYamlStreamTerminates(text));
//   std::vector<YAML::Node> docs = YAML::LoadAll(std::string(text));  // inside a try, as before
#ifndef HALLMARK_BASE_YAML_STREAM_H_
#define HALLMARK_BASE_YAML_STREAM_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hallmark {

// CheckYamlStreamTerminates: parses `text` once with yaml-cpp's event parser, building nothing.
// kInvalidArgument if it yields more documents than `text` has bytes (every real document takes
// at least one byte, so only the runaway does); OK otherwise, including for malformed YAML, whose
// error the caller's own LoadAll then reports as usual. Never throws.
absl::Status CheckYamlStreamTerminates(absl::string_view text);

}  // namespace hallmark

#endif  // HALLMARK_BASE_YAML_STREAM_H_
