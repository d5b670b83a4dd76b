#include "crypto/internal/pem.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "openssl/crypto.h"

namespace hallmark::crypto::internal {
namespace {

constexpr absl::string_view kPemStart = "\n-----BEGIN ";
constexpr absl::string_view kPemEnd = "\n-----END ";
constexpr absl::string_view kPemEndOfLine = "-----";

absl::string_view TrimRightSpaceTab(absl::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Go's getLine: the first line without its "\n" or "\r\n" and without trailing spaces and tabs,
// and what follows it.
std::pair<absl::string_view, absl::string_view> GetLine(absl::string_view data) {
  size_t i = data.find('\n');
  size_t j;
  if (i == absl::string_view::npos) {
    i = data.size();
    j = i;
  } else {
    j = i + 1;
    if (i > 0 && data[i - 1] == '\r') --i;
  }
  return {TrimRightSpaceTab(data.substr(0, i)), data.substr(j)};
}

// Decodes a PEM body: whitespace removed, then strict standard base64 (Go's StdEncoding, which
// also skips CR and LF). Temporaries that held the bytes are wiped.
std::optional<SecretData> DecodeBody(absl::string_view body) {
  SecretData compact(body.size());
  size_t n = 0;
  for (char c : body) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    compact.data()[n++] = static_cast<uint8_t>(c);
  }
  compact.resize(n);
  absl::StatusOr<std::string> decoded = Base64Decode(compact.InsecureView());
  if (!decoded.ok()) return std::nullopt;
  SecretData out(*decoded);
  OPENSSL_cleanse(decoded->data(), decoded->size());
  return out;
}

}  // namespace

std::optional<PemBlock> DecodePem(absl::string_view data, absl::string_view* rest_out) {
  absl::string_view rest = data;
  while (true) {
    if (absl::StartsWith(rest, kPemStart.substr(1))) {
      rest.remove_prefix(kPemStart.size() - 1);
    } else {
      size_t at = rest.find(kPemStart);
      if (at == absl::string_view::npos) return std::nullopt;
      rest.remove_prefix(at + kPemStart.size());
    }
    auto [type_line, after_type] = GetLine(rest);
    rest = after_type;
    if (!absl::EndsWith(type_line, kPemEndOfLine)) continue;
    type_line.remove_suffix(kPemEndOfLine.size());

    PemBlock block;
    block.type = std::string(type_line);
    // Headers: "Key: Value" lines before the body.
    bool truncated = false;
    while (true) {
      if (rest.empty()) {
        truncated = true;
        break;
      }
      auto [line, next] = GetLine(rest);
      size_t colon = line.find(':');
      if (colon == absl::string_view::npos) break;
      ++block.header_count;
      rest = next;
    }
    // Go gives up on the whole input here (it returns "no block").
    if (truncated) return std::nullopt;

    size_t end_index;
    size_t end_trailer_index;
    if (block.header_count == 0 && absl::StartsWith(rest, kPemEnd.substr(1))) {
      end_index = 0;
      end_trailer_index = kPemEnd.size() - 1;
    } else {
      end_index = rest.find(kPemEnd);
      if (end_index == absl::string_view::npos) continue;
      end_trailer_index = end_index + kPemEnd.size();
    }
    absl::string_view end_trailer = rest.substr(end_trailer_index);
    size_t end_trailer_len = type_line.size() + kPemEndOfLine.size();
    if (end_trailer.size() < end_trailer_len) continue;
    absl::string_view rest_of_end_line = end_trailer.substr(end_trailer_len);
    end_trailer = end_trailer.substr(0, end_trailer_len);
    if (!absl::StartsWith(end_trailer, type_line) || !absl::EndsWith(end_trailer, kPemEndOfLine)) {
      continue;
    }
    if (!GetLine(rest_of_end_line).first.empty()) continue;

    std::optional<SecretData> bytes = DecodeBody(rest.substr(0, end_index));
    if (!bytes.has_value()) continue;
    block.bytes = std::move(*bytes);
    if (rest_out != nullptr) {
      *rest_out = GetLine(rest.substr(end_index + kPemEnd.size() - 1)).second;
    }
    return block;
  }
}

absl::StatusOr<std::vector<PemBlock>> DecodeAllPem(absl::string_view data, size_t max_blocks) {
  std::vector<PemBlock> blocks;
  absl::string_view rest = data;
  while (true) {
    std::optional<PemBlock> block = DecodePem(rest, &rest);
    if (!block.has_value()) break;
    if (blocks.size() == max_blocks) {
      return absl::InvalidArgumentError(
          absl::StrCat("too many PEM blocks (more than ", max_blocks, ")"));
    }
    blocks.push_back(std::move(*block));
  }
  return blocks;
}

std::string EncodePem(absl::string_view type, absl::string_view bytes) {
  std::string b64 = Base64Encode(bytes);
  std::string out = absl::StrCat("-----BEGIN ", type, "-----\n");
  for (size_t i = 0; i < b64.size(); i += 64) {
    absl::StrAppend(&out, absl::string_view(b64).substr(i, 64), "\n");
  }
  absl::StrAppend(&out, "-----END ", type, "-----\n");
  return out;
}

}  // namespace hallmark::crypto::internal
