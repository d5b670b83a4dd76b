// File: crypto/internal/pem.h
//
// PEM blocks exactly as Go's encoding/pem reads and writes them, because cosign, Kyverno and
// containers/image (all Go) decide what a key file means: the first block whose BEGIN/END lines
// match and whose body is valid standard base64 (spaces, tabs, CR and LF ignored) wins, text
// before and between blocks is skipped, and a block that fails these rules is skipped rather than
// reported. Written here instead of OpenSSL's PEM reader because that one has other rules (it
// reports the first bad block, accepts other base64) and leaves private-key bytes in heap
// buffers that are not wiped; decoded bodies here are SecretData.
#ifndef HALLMARK_CRYPTO_INTERNAL_PEM_H_
#define HALLMARK_CRYPTO_INTERNAL_PEM_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secret_data.h"

namespace hallmark::crypto::internal {

struct PemBlock {
  std::string type;       // the label, e.g. "PUBLIC KEY"
  SecretData bytes;       // the decoded body (may be key material)
  size_t header_count{};  // RFC 1421 headers ("Proc-Type: ..."); Go keeps them, we only count
};

// DecodePem returns the first valid block of `data` (Go's pem.Decode) and sets `*rest` (if not
// null) to the text after it; std::nullopt if there is none.
std::optional<PemBlock> DecodePem(absl::string_view data, absl::string_view* rest = nullptr);

// DecodeAllPem returns every valid block in order. kInvalidArgument if there are more than
// `max_blocks` (bounds the work an untrusted key list can cause).
absl::StatusOr<std::vector<PemBlock>> DecodeAllPem(absl::string_view data, size_t max_blocks);

// EncodePem: Go's pem.Encode without headers: BEGIN line, standard base64 in 64-character lines,
// END line, LF line ends, final newline.
std::string EncodePem(absl::string_view type, absl::string_view bytes);

}  // namespace hallmark::crypto::internal

#endif  // HALLMARK_CRYPTO_INTERNAL_PEM_H_
