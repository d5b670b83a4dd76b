#include "verifier/policy/wildcard.h"

#include <cstddef>

namespace hallmark::verifier::policy {
namespace {

// Length of the UTF-8 sequence starting at s[i] (1 for stray or invalid bytes, so every byte is
// consumed exactly once).
size_t CharLength(absl::string_view s, size_t i) {
  unsigned char b = static_cast<unsigned char>(s[i]);
  size_t len = b < 0x80             ? 1
               : (b & 0xe0) == 0xc0 ? 2
               : (b & 0xf0) == 0xe0 ? 3
               : (b & 0xf8) == 0xf0 ? 4
                                    : 1;
  if (i + len > s.size()) return 1;
  for (size_t k = 1; k < len; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 1;
  }
  return len;
}

}  // namespace

bool WildcardMatch(absl::string_view pattern, absl::string_view text) {
  // Classic greedy matcher with one backtrack point (the last `*`): a later `*` supersedes an
  // earlier one, so the work is bounded by |pattern| * |text|.
  size_t p = 0, t = 0;
  size_t star_p = absl::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star_p = p++;
      star_t = t;
    } else if (p < pattern.size() && pattern[p] == '?') {
      ++p;
      t += CharLength(text, t);
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star_p != absl::string_view::npos) {
      p = star_p + 1;
      star_t += CharLength(text, star_t);
      t = star_t;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool HasWildcard(absl::string_view pattern) {
  return pattern.find_first_of("*?") != absl::string_view::npos;
}

}  // namespace hallmark::verifier::policy
