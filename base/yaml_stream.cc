#include "base/yaml_stream.h"

#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/yaml.h"

namespace hallmark {
namespace {

class DiscardEvents : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

}  // namespace

absl::Status CheckYamlStreamTerminates(absl::string_view text) {
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    DiscardEvents events;
    size_t documents = 0;
    while (parser.HandleNextDocument(events)) {
      if (++documents > text.size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "invalid YAML: the parser stops advancing after ", documents, " documents in ",
            text.size(), " bytes (a ',' outside [] or {} at the top level?)"));
      }
    }
  } catch (const std::exception&) {
    // Malformed YAML (or no memory): the caller's own parse reports it in its words.
  }
  return absl::OkStatus();
}

}  // namespace hallmark
