#include "base/encoding.h"

#include <array>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace hallmark {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kStdAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string EncodeWith(absl::string_view bytes, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                 (static_cast<uint8_t>(bytes[i + 1]) << 8) | static_cast<uint8_t>(bytes[i + 2]);
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    out.push_back(alphabet[v & 63]);
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    if (pad) out.append("==");
  } else if (rest == 2) {
    uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8);
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    if (pad) out.push_back('=');
  }
  return out;
}

std::array<int8_t, 256> ReverseTable(const char* alphabet) {
  std::array<int8_t, 256> table;
  table.fill(-1);
  for (int i = 0; i < 64; ++i) table[static_cast<uint8_t>(alphabet[i])] = static_cast<int8_t>(i);
  return table;
}

// Decodes `text` in `alphabet`. `padding_required`: the length must be a multiple of 4 with '='.
absl::StatusOr<std::string> DecodeWith(absl::string_view text, const char* alphabet,
                                       bool padding_required) {
  static const auto kStdTable = ReverseTable(kStdAlphabet);
  static const auto kUrlTable = ReverseTable(kUrlAlphabet);
  const auto& table = alphabet == kStdAlphabet ? kStdTable : kUrlTable;

  size_t pads = 0;
  while (pads < 2 && pads < text.size() && text[text.size() - 1 - pads] == '=') ++pads;
  absl::string_view body = text.substr(0, text.size() - pads);
  if (padding_required) {
    if (text.size() % 4 != 0) return absl::InvalidArgumentError("base64: bad length");
  } else if (pads > 0 && text.size() % 4 != 0) {
    return absl::InvalidArgumentError("base64: bad padding");
  }
  if (body.size() % 4 == 1) return absl::InvalidArgumentError("base64: bad length");

  std::string out;
  out.reserve(body.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    int8_t v = table[static_cast<uint8_t>(body[i])];
    if (v < 0) {
      return absl::InvalidArgumentError(absl::StrCat("base64: illegal character at offset ", i));
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Unused trailing bits must be zero (Go's strict decoding; RFC 4648 §3.5 canonical form).
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return absl::InvalidArgumentError("base64: non-canonical trailing bits");
  }
  return out;
}

}  // namespace

std::string HexEncode(absl::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHexDigits[c >> 4]);
    out.push_back(kHexDigits[c & 15]);
  }
  return out;
}

absl::StatusOr<std::string> HexDecode(absl::string_view hex) {
  if (hex.size() % 2 != 0) return absl::InvalidArgumentError("hex: odd length");
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = HexValue(hex[i]);
    int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(absl::StrCat("hex: illegal character at offset ", i));
    }
    out.push_back(static_cast<char>((hi << 4) | lo));
  }
  return out;
}

std::string Base64Encode(absl::string_view bytes) {
  return EncodeWith(bytes, kStdAlphabet, /*pad=*/true);
}

std::string Base64UrlEncode(absl::string_view bytes) {
  return EncodeWith(bytes, kUrlAlphabet, /*pad=*/false);
}

absl::StatusOr<std::string> Base64Decode(absl::string_view text) {
  return DecodeWith(text, kStdAlphabet, /*padding_required=*/true);
}

absl::StatusOr<std::string> Base64DecodeLenient(absl::string_view text) {
  bool url = text.find_first_of("-_") != absl::string_view::npos;
  return DecodeWith(text, url ? kUrlAlphabet : kStdAlphabet, /*padding_required=*/false);
}

}  // namespace hallmark
