// File: crypto/internal/go_json.h
//
// JSON string quoting exactly as Go's encoding/json writes it (cosign is Go; the simple-signing
// payload bytes we sign must be the ones cosign would produce): `"` and `\` escaped, \b \f \n \r
// \t as such, other control bytes and `<`, `>`, `&` as \u00XX, U+2028/U+2029 as \u2028/\u2029,
// each byte of invalid UTF-8 as \ufffd; everything else verbatim.
#ifndef HALLMARK_CRYPTO_INTERNAL_GO_JSON_H_
#define HALLMARK_CRYPTO_INTERNAL_GO_JSON_H_

#include <string>

#include "absl/strings/string_view.h"

namespace hallmark::crypto::internal {

// GoJsonQuote returns `s` as a quoted JSON string literal.
std::string GoJsonQuote(absl::string_view s);

}  // namespace hallmark::crypto::internal

#endif  // HALLMARK_CRYPTO_INTERNAL_GO_JSON_H_
