#include "chains/formats/options.h"

#include "absl/strings/str_cat.h"

namespace hallmark::chains::formats {

absl::StatusOr<Format> ParseFormat(absl::string_view name) {
  if (name == "in-toto" || name == "slsa/v1") return Format::kSlsaV02;
  if (name == "slsa/v2alpha3") return Format::kSlsaV2Alpha3;
  if (name == "slsa/v2alpha4") return Format::kSlsaV2Alpha4;
  return absl::InvalidArgumentError(
      absl::StrCat("invalid format \"", name.substr(0, 64),
                   "\", wanted one of [in-toto slsa/v1 slsa/v2alpha3 slsa/v2alpha4]"));
}

absl::string_view FormatName(Format format) {
  switch (format) {
    case Format::kSlsaV02:
      return "slsa/v1";
    case Format::kSlsaV2Alpha3:
      return "slsa/v2alpha3";
    case Format::kSlsaV2Alpha4:
      return "slsa/v2alpha4";
  }
  return "slsa/v1";
}

}  // namespace hallmark::chains::formats
