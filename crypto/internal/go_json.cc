#include "crypto/internal/go_json.h"

#include <cstdint>

namespace hallmark::crypto::internal {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Decodes one UTF-8 sequence at s[i] as Go's utf8.DecodeRuneInString does: returns its length,
// or 0 if the bytes there are not valid UTF-8 (overlong, surrogate, > U+10FFFF, truncated).
size_t ValidUtf8Length(absl::string_view s, size_t i, uint32_t* rune) {
  const uint8_t b0 = static_cast<uint8_t>(s[i]);
  size_t n;
  uint32_t r;
  uint8_t lo = 0x80;
  uint8_t hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
    r = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    r = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    r = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;  // <= U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const uint8_t b = static_cast<uint8_t>(s[i + k]);
    if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return 0;
    r = (r << 6) | (b & 0x3F);
  }
  *rune = r;
  return n;
}

void AppendU(std::string* out, uint32_t code) {
  out->append("\\u");
  out->push_back(kHex[(code >> 12) & 15]);
  out->push_back(kHex[(code >> 8) & 15]);
  out->push_back(kHex[(code >> 4) & 15]);
  out->push_back(kHex[code & 15]);
}

}  // namespace

std::string GoJsonQuote(absl::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t b = static_cast<uint8_t>(s[i]);
    if (b < 0x80) {
      switch (b) {
        case '"':
        case '\\':
          out.push_back('\\');
          out.push_back(static_cast<char>(b));
          break;
        case '\b':
          out.append("\\b");
          break;
        case '\f':
          out.append("\\f");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        case '<':
        case '>':
        case '&':
          AppendU(&out, b);
          break;
        default:
          if (b < 0x20) {
            AppendU(&out, b);
          } else {
            out.push_back(static_cast<char>(b));
          }
      }
      ++i;
      continue;
    }
    uint32_t rune = 0;
    size_t n = ValidUtf8Length(s, i, &rune);
    if (n == 0) {
      out.append("\\ufffd");
      ++i;
      continue;
    }
    if (rune == 0x2028 || rune == 0x2029) {
      AppendU(&out, rune);
    } else {
      out.append(s.data() + i, n);
    }
    i += n;
  }
  out.push_back('"');
  return out;
}

}  // namespace hallmark::crypto::internal
