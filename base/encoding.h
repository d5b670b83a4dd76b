// File: base/encoding.h
//
// Hex and base64 with exactly the strictness the wire formats need. absl's Base64Unescape is
// lenient (it accepts missing padding and mixes alphabets), and cosign decodes signature
// annotations and DSSE payloads with Go's strict StdEncoding, so the strict forms are ours.
#ifndef HALLMARK_BASE_ENCODING_H_
#define HALLMARK_BASE_ENCODING_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hallmark {

// HexEncode: lower-case hex of `bytes`.
std::string HexEncode(absl::string_view bytes);

// HexDecode: accepts only an even number of [0-9a-fA-F]; kInvalidArgument otherwise.
absl::StatusOr<std::string> HexDecode(absl::string_view hex);

// Base64Encode: standard alphabet (RFC 4648 §4) with padding, no line breaks.
std::string Base64Encode(absl::string_view bytes);

// Base64UrlEncode: URL-safe alphabet (RFC 4648 §5) without padding.
std::string Base64UrlEncode(absl::string_view bytes);

// Base64Decode: strict standard base64 (Go's base64.StdEncoding): standard alphabet, padding
// required, no whitespace, and the unused bits of the last symbol must be zero.
absl::StatusOr<std::string> Base64Decode(absl::string_view text);

// Base64DecodeLenient: the DSSE spec's reader rule: standard or URL-safe alphabet (not mixed),
// padding optional. Still no whitespace.
absl::StatusOr<std::string> Base64DecodeLenient(absl::string_view text);

}  // namespace hallmark

#endif  // HALLMARK_BASE_ENCODING_H_
