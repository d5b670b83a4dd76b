#include "chains/artifacts/go_json.h"

#include <cstdint>

namespace hallmark::chains::artifacts {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendUnicodeEscape(uint32_t code, std::string* out) {
  out->append("\\u");
  out->push_back(kHex[(code >> 12) & 0xf]);
  out->push_back(kHex[(code >> 8) & 0xf]);
  out->push_back(kHex[(code >> 4) & 0xf]);
  out->push_back(kHex[code & 0xf]);
}

// DecodeUtf8 reads one UTF-8 sequence at text[i]; returns its length, or 0 if it is not valid
// (overlong, surrogate, beyond U+10FFFF or truncated), as Go's utf8.DecodeRuneInString decides.
size_t DecodeUtf8(absl::string_view text, size_t i, uint32_t* code) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char b0 = byte(i);
  size_t len;
  uint32_t c;
  uint32_t min;
  if (b0 < 0x80) {
    *code = b0;
    return 1;
  } else if ((b0 & 0xe0) == 0xc0) {
    len = 2;
    c = b0 & 0x1f;
    min = 0x80;
  } else if ((b0 & 0xf0) == 0xe0) {
    len = 3;
    c = b0 & 0x0f;
    min = 0x800;
  } else if ((b0 & 0xf8) == 0xf0) {
    len = 4;
    c = b0 & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    unsigned char b = byte(i + k);
    if ((b & 0xc0) != 0x80) return 0;
    c = (c << 6) | (b & 0x3f);
  }
  if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return 0;
  *code = c;
  return len;
}

}  // namespace

void AppendGoJsonString(absl::string_view text, std::string* out) {
  out->push_back('"');
  size_t i = 0;
  while (i < text.size()) {
    unsigned char b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      switch (b) {
        case '"':
          out->append("\\\"");
          break;
        case '\\':
          out->append("\\\\");
          break;
        case '\b':
          out->append("\\b");
          break;
        case '\f':
          out->append("\\f");
          break;
        case '\n':
          out->append("\\n");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\t':
          out->append("\\t");
          break;
        case '<':
        case '>':
        case '&':
          AppendUnicodeEscape(b, out);
          break;
        default:
          if (b < 0x20) {
            AppendUnicodeEscape(b, out);
          } else {
            out->push_back(static_cast<char>(b));
          }
      }
      ++i;
      continue;
    }
    uint32_t code = 0;
    size_t len = DecodeUtf8(text, i, &code);
    if (len == 0) {
      out->append("\\ufffd");
      ++i;
      continue;
    }
    if (code == 0x2028 || code == 0x2029) {
      AppendUnicodeEscape(code, out);
    } else {
      out->append(text.data() + i, len);
    }
    i += len;
  }
  out->push_back('"');
}

std::string GoJsonString(absl::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  AppendGoJsonString(text, &out);
  return out;
}

std::string GoJsonStringArray(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendGoJsonString(values[i], &out);
  }
  out.push_back(']');
  return out;
}

std::string GoJsonStringMap(const std::map<std::string, std::string>& values) {
  std::string out = "{";
  bool first = true;
  for (const auto& [key, value] : values) {
    if (!first) out.push_back(',');
    first = false;
    AppendGoJsonString(key, &out);
    out.push_back(':');
    AppendGoJsonString(value, &out);
  }
  out.push_back('}');
  return out;
}

}  // namespace hallmark::chains::artifacts
