// File: crypto/internal/json.h
//
// Parsing untrusted JSON with nlohmann::json without exceptions, with the two checks Go's
// readers of our formats make that nlohmann does not: a nesting limit and (optionally) the
// refusal of duplicate object keys (containers/image's "paranoid" parser).
#ifndef HALLMARK_CRYPTO_INTERNAL_JSON_H_
#define HALLMARK_CRYPTO_INTERNAL_JSON_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace hallmark::crypto::internal {

struct JsonParseOptions {
  bool reject_duplicate_keys = false;
  int max_depth = 64;
};

// ParseJson parses one complete JSON document (no trailing data). kInvalidArgument naming the
// problem (syntax, too deep, `duplicate key "<k>"`) otherwise. Never throws.
absl::StatusOr<nlohmann::json> ParseJson(absl::string_view text,
                                         const JsonParseOptions& options = {});

}  // namespace hallmark::crypto::internal

#endif  // HALLMARK_CRYPTO_INTERNAL_JSON_H_
