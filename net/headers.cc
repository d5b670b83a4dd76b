#include "net/headers.h"

#include <algorithm>

#include "absl/strings/match.h"

namespace hallmark::net {

void Headers::Add(absl::string_view name, absl::string_view value) {
  entries_.emplace_back(std::string(name), std::string(value));
}

void Headers::Set(absl::string_view name, absl::string_view value) {
  Remove(name);
  Add(name, value);
}

void Headers::Remove(absl::string_view name) {
  entries_.erase(
      std::remove_if(entries_.begin(), entries_.end(),
                     [name](const Entry& e) { return absl::EqualsIgnoreCase(e.first, name); }),
      entries_.end());
}

std::optional<std::string> Headers::Get(absl::string_view name) const {
  for (const Entry& e : entries_) {
    if (absl::EqualsIgnoreCase(e.first, name)) return e.second;
  }
  return std::nullopt;
}

std::vector<std::string> Headers::GetAll(absl::string_view name) const {
  std::vector<std::string> out;
  for (const Entry& e : entries_) {
    if (absl::EqualsIgnoreCase(e.first, name)) out.push_back(e.second);
  }
  return out;
}

bool Headers::Has(absl::string_view name) const { return Get(name).has_value(); }

}  // namespace hallmark::net
