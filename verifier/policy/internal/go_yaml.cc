#include "verifier/policy/internal/go_yaml.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_replace.h"

namespace hallmark::verifier::policy::internal {
namespace {

constexpr int kBestWidth = 80;
constexpr int kBestIndent = 2;

// ---- UTF-8 helpers (yaml.v2 works on bytes with these classifications) ----

size_t Width(unsigned char b) {
  if ((b & 0x80) == 0x00) return 1;
  if ((b & 0xE0) == 0xC0) return 2;
  if ((b & 0xF0) == 0xE0) return 3;
  if ((b & 0xF8) == 0xF0) return 4;
  return 1;  // invalid lead byte: one byte at a time
}

unsigned char At(absl::string_view s, size_t i) {
  return i < s.size() ? static_cast<unsigned char>(s[i]) : 0;
}

bool IsSpace(absl::string_view s, size_t i) { return At(s, i) == ' '; }
bool IsTab(absl::string_view s, size_t i) { return At(s, i) == '\t'; }
bool IsBreak(absl::string_view s, size_t i) {
  unsigned char b = At(s, i);
  return b == '\r' || b == '\n' || (b == 0xC2 && At(s, i + 1) == 0x85) ||
         (b == 0xE2 && At(s, i + 1) == 0x80 && (At(s, i + 2) == 0xA8 || At(s, i + 2) == 0xA9));
}
bool IsBlankz(absl::string_view s, size_t i) {
  return i >= s.size() || IsSpace(s, i) || IsTab(s, i) || IsBreak(s, i) || At(s, i) == 0;
}
bool IsPrintable(absl::string_view s, size_t i) {
  unsigned char b = At(s, i), b1 = At(s, i + 1), b2 = At(s, i + 2);
  return b == 0x0A || (b >= 0x20 && b <= 0x7E) || (b == 0xC2 && b1 >= 0xA0) ||
         (b > 0xC2 && b < 0xED) || (b == 0xED && b1 < 0xA0) || b == 0xEE ||
         (b == 0xEF && !(b1 == 0xBB && b2 == 0xBF) && !(b1 == 0xBF && (b2 == 0xBE || b2 == 0xBF)));
}

// ---- resolve(): would a plain scalar read back as something other than a string? ----

bool InResolveMap(const std::string& s) {
  static const char* const kWords[] = {
      "y",     "Y",     "yes",  "Yes",   "YES",   "on",    "On",    "ON",    "n",     "N",
      "no",    "No",    "NO",   "off",   "Off",   "OFF",   "true",  "True",  "TRUE",  "false",
      "False", "FALSE", "",     "~",     "null",  "Null",  "NULL",  ".nan",  ".NaN",  ".NAN",
      ".inf",  ".Inf",  ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", "<<"};
  for (const char* w : kWords) {
    if (s == w) return true;
  }
  return false;
}

// strconv.ParseInt(s, 0, 64) / ParseUint: optional sign, then 0x / 0o / 0b / leading-0 octal or
// decimal digits.
bool GoParsesAsInt(const std::string& s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i == s.size()) return false;
  int base = 10;
  if (s[i] == '0' && i + 1 < s.size()) {
    char p = absl::ascii_tolower(s[i + 1]);
    if (p == 'x')
      base = 16, i += 2;
    else if (p == 'o')
      base = 8, i += 2;
    else if (p == 'b')
      base = 2, i += 2;
    else
      base = 8, i += 1;
  }
  if (i == s.size()) return false;
  for (; i < s.size(); ++i) {
    char c = absl::ascii_tolower(s[i]);
    int d = absl::ascii_isdigit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : 99;
    if (d >= base) return false;
  }
  return true;  // range errors still resolve as numbers (float), never as strings
}

// yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool IsYamlStyleFloat(const std::string& s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  auto digits = [&](size_t* p) {
    size_t start = *p;
    while (*p < s.size() && absl::ascii_isdigit(s[*p])) ++*p;
    return *p > start;
  };
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits(&i)) return false;
  } else {
    if (!digits(&i)) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits(&i);
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits(&i)) return false;
  }
  return i == s.size();
}

// parseTimestamp's formats all start with a date "2006-1-2"; what follows must be a time.
bool LooksLikeTimestamp(const std::string& s) {
  size_t i = 0, n = 0;
  while (i < s.size() && absl::ascii_isdigit(s[i])) ++i, ++n;
  if (n != 4 || i >= s.size() || s[i] != '-') return false;
  for (int part = 0; part < 2; ++part) {
    ++i;
    n = 0;
    while (i < s.size() && absl::ascii_isdigit(s[i])) ++i, ++n;
    if (n < 1 || n > 2) return false;
    if (part == 0 && (i >= s.size() || s[i] != '-')) return false;
  }
  if (i == s.size()) return true;
  if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return false;
  ++i;
  // "15:4:5" at least.
  for (int part = 0; part < 3; ++part) {
    n = 0;
    while (i < s.size() && absl::ascii_isdigit(s[i])) ++i, ++n;
    if (n < 1 || n > 2) return false;
    if (part < 2) {
      if (i >= s.size() || s[i] != ':') return false;
      ++i;
    }
  }
  return true;  // fraction and zone: parseTimestamp accepts the common forms
}

bool ResolvesToString(const std::string& s) {
  char hint = 0;
  if (s.empty()) {
    hint = 'N';
  } else {
    char c = s[0];
    if (c == '+' || c == '-')
      hint = 'S';
    else if (absl::ascii_isdigit(c))
      hint = 'D';
    else if (std::string("yYnNtTfFoO~").find(c) != std::string::npos)
      hint = 'M';
    else if (c == '.')
      hint = '.';
  }
  if (hint == 0) return true;
  if (InResolveMap(s)) return false;
  if (hint == '.') {
    double d;
    return !absl::SimpleAtod(s, &d) || s.find_first_not_of("0123456789.eE+-") != std::string::npos;
  }
  if (hint == 'D' || hint == 'S') {
    if (LooksLikeTimestamp(s)) return false;
    std::string plain = absl::StrReplaceAll(s, {{"_", ""}});
    if (GoParsesAsInt(plain)) return false;
    if (IsYamlStyleFloat(plain)) return false;
  }
  return true;
}

// isBase60Float: ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
bool IsBase60Float(const std::string& s) {
  if (s.empty()) return false;
  char c = s[0];
  if (!(c == '+' || c == '-' || absl::ascii_isdigit(c)) || s.find(':') == std::string::npos) {
    return false;
  }
  size_t i = (c == '+' || c == '-') ? 1 : 0;
  if (i >= s.size() || !absl::ascii_isdigit(s[i])) return false;
  ++i;
  while (i < s.size() && (absl::ascii_isdigit(s[i]) || s[i] == '_')) ++i;
  int groups = 0;
  while (i < s.size() && s[i] == ':') {
    ++i;
    size_t start = i;
    while (i < s.size() && absl::ascii_isdigit(s[i]) && i - start < 2) ++i;
    size_t len = i - start;
    if (len == 0) return false;
    if (len == 2 && s[start] > '5') return false;
    ++groups;
  }
  if (groups == 0) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && (absl::ascii_isdigit(s[i]) || s[i] == '_')) ++i;
  }
  return i == s.size();
}

// ---- analyze_scalar ----

struct Analysis {
  bool multiline = false;
  bool block_plain_allowed = true;
  bool single_quoted_allowed = true;
  bool block_allowed = true;
};

Analysis Analyze(absl::string_view value) {
  Analysis a;
  if (value.empty()) {
    a.block_allowed = false;
    return a;
  }
  bool block_indicators = false, line_breaks = false, special = false;
  bool leading_space = false, leading_break = false, trailing_space = false, trailing_break = false;
  bool break_space = false, space_break = false;
  bool preceded_by_whitespace = true, previous_space = false, previous_break = false;
  if (value.size() >= 3 && (value.substr(0, 3) == "---" || value.substr(0, 3) == "...")) {
    block_indicators = true;
  }
  for (size_t i = 0, w = 0; i < value.size(); i += w) {
    w = Width(At(value, i));
    bool followed_by_whitespace = IsBlankz(value, i + w);
    unsigned char c = At(value, i);
    if (i == 0) {
      switch (c) {
        case '#':
        case ',':
        case '[':
        case ']':
        case '{':
        case '}':
        case '&':
        case '*':
        case '!':
        case '|':
        case '>':
        case '\'':
        case '"':
        case '%':
        case '@':
        case '`':
          block_indicators = true;
          break;
        case '?':
        case ':':
          if (followed_by_whitespace) block_indicators = true;
          break;
        case '-':
          if (followed_by_whitespace) block_indicators = true;
          break;
        default:
          break;
      }
    } else {
      if (c == ':' && followed_by_whitespace) block_indicators = true;
      if (c == '#' && preceded_by_whitespace) block_indicators = true;
    }
    if (!IsPrintable(value, i)) special = true;
    if (IsSpace(value, i)) {
      if (i == 0) leading_space = true;
      if (i + w == value.size()) trailing_space = true;
      if (previous_break) break_space = true;
      previous_space = true;
      previous_break = false;
    } else if (IsBreak(value, i)) {
      line_breaks = true;
      if (i == 0) leading_break = true;
      if (i + w == value.size()) trailing_break = true;
      if (previous_space) space_break = true;
      previous_space = false;
      previous_break = true;
    } else {
      previous_space = false;
      previous_break = false;
    }
    preceded_by_whitespace = IsBlankz(value, i);
  }
  a.multiline = line_breaks;
  if (leading_space || leading_break || trailing_space || trailing_break) {
    a.block_plain_allowed = false;
  }
  if (trailing_space) a.block_allowed = false;
  if (break_space) {
    a.block_plain_allowed = false;
    a.single_quoted_allowed = false;
  }
  if (space_break || special) {
    a.block_plain_allowed = false;
    a.single_quoted_allowed = false;
    a.block_allowed = false;
  }
  if (line_breaks) a.block_plain_allowed = false;
  if (block_indicators) a.block_plain_allowed = false;
  return a;
}

enum class Style { kPlain, kSingle, kDouble, kLiteral };

// ---- the emitter (block context only) ----

class Emitter {
 public:
  void MappingKey(absl::string_view key, int indent) {
    indent_ = indent;
    WriteIndent();
    Scalar(key, /*simple_key=*/true);
    WriteIndicator(":", /*need_whitespace=*/false, /*is_whitespace=*/false);
  }

  // A scalar mapping value at `indent` (yaml_emitter_emit_scalar's increase_indent).
  void Value(absl::string_view value, int indent) {
    indent_ = indent;
    Scalar(value, /*simple_key=*/false);
  }

  void End() {
    indent_ = 0;
    if (column_ > 0) PutBreak();
  }

  std::string Take() { return std::move(out_); }

 private:
  void Scalar(absl::string_view value, bool simple_key) {
    std::string s(value);
    Style style;
    if (s.find('\n') != std::string::npos) {
      style = Style::kLiteral;
    } else if (ResolvesToString(s) && !IsBase60Float(s)) {
      style = Style::kPlain;
    } else {
      style = Style::kDouble;
    }
    Analysis a = Analyze(value);
    if (simple_key && a.multiline) style = Style::kDouble;
    if (style == Style::kPlain) {
      if (!a.block_plain_allowed) style = Style::kSingle;
      if (value.empty() && simple_key) style = Style::kSingle;
    }
    if (style == Style::kSingle && !a.single_quoted_allowed) style = Style::kDouble;
    if (style == Style::kLiteral && (!a.block_allowed || simple_key)) style = Style::kDouble;
    const bool allow_breaks = !simple_key;
    switch (style) {
      case Style::kPlain:
        WritePlain(value, allow_breaks);
        break;
      case Style::kSingle:
        WriteSingleQuoted(value, allow_breaks);
        break;
      case Style::kDouble:
        WriteDoubleQuoted(value, allow_breaks);
        break;
      case Style::kLiteral:
        WriteLiteral(value);
        break;
    }
  }

  void Put(char c) {
    out_.push_back(c);
    ++column_;
  }
  void PutBreak() {
    out_.push_back('\n');
    column_ = 0;
  }
  // write(): one character (all its bytes), one column.
  void Write(absl::string_view value, size_t* i) {
    size_t w = Width(At(value, *i));
    out_.append(value.data() + *i, w);
    *i += w;
    ++column_;
  }
  // write_break(): a line break character.
  void WriteBreak(absl::string_view value, size_t* i) {
    if (At(value, *i) == '\n') {
      PutBreak();
      ++*i;
    } else {
      size_t w = Width(At(value, *i));
      out_.append(value.data() + *i, w);
      column_ = 0;
      *i += w;
    }
  }
  void WriteIndent() {
    int indent = std::max(indent_, 0);
    if (!indention_ || column_ > indent || (column_ == indent && !whitespace_)) PutBreak();
    while (column_ < indent) Put(' ');
    whitespace_ = true;
    indention_ = true;
  }
  void WriteIndicator(absl::string_view indicator, bool need_whitespace, bool is_whitespace) {
    if (need_whitespace && !whitespace_) Put(' ');
    for (char c : indicator) Put(c);
    whitespace_ = is_whitespace;
    indention_ = false;
  }

  void WritePlain(absl::string_view value, bool allow_breaks) {
    if (!whitespace_) Put(' ');
    bool spaces = false, breaks = false;
    for (size_t i = 0; i < value.size();) {
      if (IsSpace(value, i)) {
        if (allow_breaks && !spaces && column_ > kBestWidth && !IsSpace(value, i + 1)) {
          WriteIndent();
          i += 1;
        } else {
          Write(value, &i);
        }
        spaces = true;
      } else if (IsBreak(value, i)) {
        if (!breaks && At(value, i) == '\n') PutBreak();
        WriteBreak(value, &i);
        indention_ = true;
        breaks = true;
      } else {
        if (breaks) WriteIndent();
        Write(value, &i);
        indention_ = false;
        spaces = false;
        breaks = false;
      }
    }
    whitespace_ = false;
    indention_ = false;
  }

  void WriteSingleQuoted(absl::string_view value, bool allow_breaks) {
    WriteIndicator("'", /*need_whitespace=*/true, /*is_whitespace=*/false);
    bool spaces = false, breaks = false;
    for (size_t i = 0; i < value.size();) {
      if (IsSpace(value, i)) {
        if (allow_breaks && !spaces && column_ > kBestWidth && i > 0 && i < value.size() - 1 &&
            !IsSpace(value, i + 1)) {
          WriteIndent();
          i += 1;
        } else {
          Write(value, &i);
        }
        spaces = true;
      } else if (IsBreak(value, i)) {
        if (!breaks && At(value, i) == '\n') PutBreak();
        WriteBreak(value, &i);
        indention_ = true;
        breaks = true;
      } else {
        if (breaks) WriteIndent();
        if (At(value, i) == '\'') Put('\'');
        Write(value, &i);
        indention_ = false;
        spaces = false;
        breaks = false;
      }
    }
    WriteIndicator("'", /*need_whitespace=*/false, /*is_whitespace=*/false);
    whitespace_ = false;
    indention_ = false;
  }

  void WriteDoubleQuoted(absl::string_view value, bool allow_breaks) {
    WriteIndicator("\"", /*need_whitespace=*/true, /*is_whitespace=*/false);
    bool spaces = false;
    for (size_t i = 0; i < value.size();) {
      unsigned char b = At(value, i);
      bool is_bom = b == 0xEF && At(value, i + 1) == 0xBB && At(value, i + 2) == 0xBF;
      if (!IsPrintable(value, i) || is_bom || IsBreak(value, i) || b == '"' || b == '\\') {
        size_t w = Width(b);
        uint32_t v = w == 1 ? (b & 0x7F) : w == 2 ? (b & 0x1F) : w == 3 ? (b & 0x0F) : (b & 0x07);
        for (size_t k = 1; k < w; ++k) v = (v << 6) + (At(value, i + k) & 0x3F);
        i += w;
        Put('\\');
        switch (v) {
          case 0x00:
            Put('0');
            break;
          case 0x07:
            Put('a');
            break;
          case 0x08:
            Put('b');
            break;
          case 0x09:
            Put('t');
            break;
          case 0x0A:
            Put('n');
            break;
          case 0x0B:
            Put('v');
            break;
          case 0x0C:
            Put('f');
            break;
          case 0x0D:
            Put('r');
            break;
          case 0x1B:
            Put('e');
            break;
          case 0x22:
            Put('"');
            break;
          case 0x5C:
            Put('\\');
            break;
          case 0x85:
            Put('N');
            break;
          case 0xA0:
            Put('_');
            break;
          case 0x2028:
            Put('L');
            break;
          case 0x2029:
            Put('P');
            break;
          default: {
            int digits;
            if (v <= 0xFF)
              Put('x'), digits = 2;
            else if (v <= 0xFFFF)
              Put('u'), digits = 4;
            else
              Put('U'), digits = 8;
            for (int k = (digits - 1) * 4; k >= 0; k -= 4) {
              int d = (v >> k) & 0x0F;
              Put(static_cast<char>(d < 10 ? '0' + d : 'A' + d - 10));
            }
          }
        }
        spaces = false;
      } else if (IsSpace(value, i)) {
        if (allow_breaks && !spaces && column_ > kBestWidth && i > 0 && i < value.size() - 1) {
          WriteIndent();
          if (IsSpace(value, i + 1)) Put('\\');
          i += 1;
        } else {
          Write(value, &i);
        }
        spaces = true;
      } else {
        Write(value, &i);
        spaces = false;
      }
    }
    WriteIndicator("\"", /*need_whitespace=*/false, /*is_whitespace=*/false);
    whitespace_ = false;
    indention_ = false;
  }

  void WriteLiteral(absl::string_view value) {
    WriteIndicator("|", /*need_whitespace=*/true, /*is_whitespace=*/false);
    // Block scalar hints: an indentation indicator when the text starts with a space or break;
    // chomping `-` (no final break), `+` (more than one final break, or only a break), or none.
    if (IsSpace(value, 0) || IsBreak(value, 0)) {
      WriteIndicator(std::string(1, static_cast<char>('0' + kBestIndent)), false, false);
    }
    std::string chomp;
    size_t last = value.size() - 1;
    while (last > 0 && (At(value, last) & 0xC0) == 0x80) --last;
    if (!IsBreak(value, last)) {
      chomp = "-";
    } else if (last == 0) {
      chomp = "+";
    } else {
      size_t prev = last - 1;
      while (prev > 0 && (At(value, prev) & 0xC0) == 0x80) --prev;
      if (IsBreak(value, prev)) chomp = "+";
    }
    if (!chomp.empty()) WriteIndicator(chomp, false, false);
    PutBreak();
    indention_ = true;
    whitespace_ = true;
    bool breaks = true;
    for (size_t i = 0; i < value.size();) {
      if (IsBreak(value, i)) {
        WriteBreak(value, &i);
        indention_ = true;
        breaks = true;
      } else {
        if (breaks) WriteIndent();
        Write(value, &i);
        indention_ = false;
        breaks = false;
      }
    }
  }

  std::string out_;
  int column_ = 0;
  int indent_ = 0;
  bool whitespace_ = true;
  bool indention_ = true;
};

bool IsLetter(uint32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80; }
bool IsDigit(uint32_t c) { return c >= '0' && c <= '9'; }

std::vector<uint32_t> Runes(absl::string_view s) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < s.size();) {
    unsigned char b = At(s, i);
    size_t w = Width(b);
    if (i + w > s.size()) w = 1;
    uint32_t v = w == 1 ? b : w == 2 ? (b & 0x1F) : w == 3 ? (b & 0x0F) : (b & 0x07);
    for (size_t k = 1; k < w; ++k) v = (v << 6) + (At(s, i + k) & 0x3F);
    out.push_back(v);
    i += w;
  }
  return out;
}

}  // namespace

bool GoYamlKeyLess(absl::string_view a, absl::string_view b) {
  std::vector<uint32_t> ar = Runes(a), br = Runes(b);
  for (size_t i = 0; i < ar.size() && i < br.size(); ++i) {
    if (ar[i] == br[i]) continue;
    bool al = IsLetter(ar[i]), bl = IsLetter(br[i]);
    if (al && bl) return ar[i] < br[i];
    if (al || bl) return bl;
    int64_t an = 0, bn = 0;
    if (ar[i] == '0' || br[i] == '0') {
      for (size_t j = i; j-- > 0 && IsDigit(ar[j]);) {
        if (ar[j] != '0') {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    size_t ai = i, bi = i;
    for (; ai < ar.size() && IsDigit(ar[ai]); ++ai) an = an * 10 + (ar[ai] - '0');
    for (; bi < br.size() && IsDigit(br[bi]); ++bi) bn = bn * 10 + (br[bi] - '0');
    if (an != bn) return an < bn;
    if (ai != bi) return ai < bi;
    return ar[i] < br[i];
  }
  return ar.size() < br.size();
}

std::string MarshalGoYamlV2(const NestedStringMap& doc) {
  if (doc.empty()) return "{}\n";
  auto sorted_keys = [](const auto& m) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : m) keys.push_back(k);
    std::stable_sort(keys.begin(), keys.end(), [](const std::string& x, const std::string& y) {
      return GoYamlKeyLess(x, y);
    });
    return keys;
  };
  Emitter e;
  for (const std::string& outer : sorted_keys(doc)) {
    const auto& inner = doc.at(outer);
    e.MappingKey(outer, 0);
    if (inner.empty()) {
      e.Value("{}", 2);  // never produced by callers (empty rule maps are dropped)
      continue;
    }
    for (const std::string& key : sorted_keys(inner)) {
      e.MappingKey(key, kBestIndent);
      e.Value(inner.at(key), 2 * kBestIndent);
    }
  }
  e.End();
  return e.Take();
}

}  // namespace hallmark::verifier::policy::internal
