// The grammar is checked by hand rather than with std::regex: libstdc++'s regex recurses per
// character (a 64 KiB hostile input overflows the stack) and cannot say WHICH rule failed.
#include "oci/reference.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "net/host.h"

namespace hallmark::oci {
namespace {

constexpr size_t kMaxQuoted = 300;

// Quote: the input for an error message, escaped (it may hold control bytes) and shortened.
std::string Quote(absl::string_view text) {
  if (text.size() > kMaxQuoted) {
    return absl::StrCat("\"", absl::CEscape(text.substr(0, kMaxQuoted)), "\"... (", text.size(),
                        " bytes)");
  }
  return absl::StrCat("\"", absl::CEscape(text), "\"");
}

absl::Status RefError(absl::string_view text, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid image reference ", Quote(text), ": ", problem));
}

bool IsLowerAlnum(char c) { return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'z'); }
bool IsLowerHex(char c) { return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f'); }
bool IsWordChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

// CheckPathComponent: [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*. Returns "" when valid, else why not.
std::string CheckPathComponent(absl::string_view comp) {
  if (comp.empty()) return "empty path component (\"//\", or a leading or trailing \"/\")";
  for (char c : comp) {
    if (absl::ascii_isupper(c)) return "repository name must be lowercase";
    if (!IsLowerAlnum(c) && c != '.' && c != '_' && c != '-') {
      return absl::StrCat("invalid character ", Quote(absl::string_view(&c, 1)),
                          " in repository path component ", Quote(comp));
    }
  }
  if (!IsLowerAlnum(comp.front()) || !IsLowerAlnum(comp.back())) {
    return absl::StrCat("repository path component ", Quote(comp),
                        " must start and end with a letter or digit");
  }
  size_t i = 0;
  while (i < comp.size()) {
    if (IsLowerAlnum(comp[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < comp.size() && !IsLowerAlnum(comp[i])) ++i;
    absl::string_view sep = comp.substr(start, i - start);
    bool dashes = sep.find_first_not_of('-') == absl::string_view::npos;
    if (!(sep == "." || sep == "_" || sep == "__" || dashes)) {
      return absl::StrCat("invalid separator ", Quote(sep), " in repository path component ",
                          Quote(comp), " (allowed: \".\", \"_\", \"__\" or dashes)");
    }
  }
  return "";
}

// CheckDomainName: components [A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])? joined by ".".
std::string CheckDomainName(absl::string_view host) {
  if (host.empty()) return "empty registry host";
  for (absl::string_view comp : absl::StrSplit(host, '.')) {
    if (comp.empty()) return absl::StrCat("empty label in registry host ", Quote(host));
    for (char c : comp) {
      if (!absl::ascii_isalnum(c) && c != '-') {
        return absl::StrCat("invalid character ", Quote(absl::string_view(&c, 1)),
                            " in registry host ", Quote(host));
      }
    }
    if (comp.front() == '-' || comp.back() == '-') {
      return absl::StrCat("registry host label ", Quote(comp), " must not start or end with \"-\"");
    }
  }
  return "";
}

std::string CheckPort(absl::string_view port) {
  uint32_t value = 0;
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != absl::string_view::npos ||
      !absl::SimpleAtoi(port, &value) || value == 0 || value > 65535) {
    return absl::StrCat("invalid registry port ", Quote(port), " (want 1-65535)");
  }
  return "";
}

// CheckRegistry: host[:port] with host a DNS name, IPv4 address (a DNS name syntactically) or a
// bracketed IPv6 address.
std::string CheckRegistry(absl::string_view registry) {
  if (absl::StartsWith(registry, "[")) {
    size_t close = registry.find(']');
    if (close == absl::string_view::npos) {
      return absl::StrCat("unterminated \"[\" in registry ", Quote(registry));
    }
    absl::string_view v6 = registry.substr(1, close - 1);
    in6_addr addr;
    if (v6.empty() || v6.find_first_not_of("0123456789abcdefABCDEF:") != absl::string_view::npos ||
        v6.size() > 39 || inet_pton(AF_INET6, std::string(v6).c_str(), &addr) != 1) {
      return absl::StrCat("invalid IPv6 address ", Quote(v6), " in registry");
    }
    absl::string_view rest = registry.substr(close + 1);
    if (rest.empty()) return "";
    if (rest.front() != ':') {
      return absl::StrCat("unexpected ", Quote(rest), " after IPv6 address in registry");
    }
    return CheckPort(rest.substr(1));
  }
  size_t colon = registry.find(':');
  if (colon == absl::string_view::npos) return CheckDomainName(registry);
  std::string why = CheckDomainName(registry.substr(0, colon));
  if (!why.empty()) return why;
  return CheckPort(registry.substr(colon + 1));
}

}  // namespace

absl::StatusOr<Digest> Digest::Parse(absl::string_view text) {
  size_t colon = text.find(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid digest ", Quote(text), ": want <algorithm>:<hex>"));
  }
  absl::string_view algorithm = text.substr(0, colon);
  absl::string_view hex = text.substr(colon + 1);
  size_t want = 0;
  if (algorithm == "sha256") {
    want = 64;
  } else if (algorithm == "sha384") {
    want = 96;
  } else if (algorithm == "sha512") {
    want = 128;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("invalid digest ", Quote(text),
                                                   ": unsupported algorithm ", Quote(algorithm),
                                                   " (want sha256, sha384 or sha512)"));
  }
  if (hex.size() != want) {
    return absl::InvalidArgumentError(absl::StrCat("invalid digest ", Quote(text), ": ", algorithm,
                                                   " wants ", want, " hex digits, got ",
                                                   hex.size()));
  }
  for (char c : hex) {
    if (!IsLowerHex(c)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid digest ", Quote(text), ": ",
                                                     Quote(absl::string_view(&c, 1)),
                                                     " is not a lower-case hex digit"));
    }
  }
  return Digest(std::string(algorithm), std::string(hex));
}

bool IsValidImageDigest(absl::string_view text) {
  if (text.size() != 7 + 64 || !absl::StartsWith(text, "sha256:")) return false;
  for (char c : text.substr(7)) {
    if (!IsLowerHex(c)) return false;
  }
  return true;
}

std::string SignatureTag(const Digest& digest) {
  return absl::StrCat(digest.algorithm(), "-", digest.hex(), ".sig");
}

std::string AttestationTag(const Digest& digest) {
  return absl::StrCat(digest.algorithm(), "-", digest.hex(), ".att");
}

bool IsValidTag(absl::string_view tag) {
  if (tag.empty() || tag.size() > kMaxTagLength || !IsWordChar(tag.front())) return false;
  for (char c : tag) {
    if (!IsWordChar(c) && c != '.' && c != '-') return false;
  }
  return true;
}

bool IsLoopbackRegistry(absl::string_view registry) { return net::IsLoopbackHost(registry); }

absl::StatusOr<Reference> Reference::Parse(absl::string_view text) {
  if (text.empty()) return RefError(text, "empty");
  if (text.size() > kMaxReferenceLength) {
    return RefError(text, absl::StrCat("longer than ", kMaxReferenceLength, " bytes"));
  }
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c <= 0x20 || c >= 0x7f) {
      return RefError(text,
                      absl::StrCat("whitespace, control or non-ASCII character at offset ", i));
    }
  }

  absl::string_view name_tag = text;
  std::optional<Digest> digest;
  size_t at = text.find('@');
  if (at != absl::string_view::npos) {
    if (text.find('@', at + 1) != absl::string_view::npos)
      return RefError(text, "more than one '@'");
    absl::string_view digest_text = text.substr(at + 1);
    if (digest_text.empty()) return RefError(text, "empty digest after '@'");
    auto parsed = Digest::Parse(digest_text);
    if (!parsed.ok()) return RefError(text, parsed.status().message());
    digest = *std::move(parsed);
    name_tag = text.substr(0, at);
  }

  absl::string_view name = name_tag;
  std::string tag;
  size_t last_slash = name_tag.rfind('/');
  size_t last_colon = name_tag.rfind(':');
  if (last_colon != absl::string_view::npos &&
      (last_slash == absl::string_view::npos || last_colon > last_slash)) {
    absl::string_view tag_text = name_tag.substr(last_colon + 1);
    if (tag_text.empty()) return RefError(text, "empty tag after ':'");
    if (!IsValidTag(tag_text)) {
      return RefError(text, absl::StrCat("invalid tag ", Quote(tag_text),
                                         " (want [A-Za-z0-9_][A-Za-z0-9_.-]{0,127})"));
    }
    tag = std::string(tag_text);
    name = name_tag.substr(0, last_colon);
  }
  if (name.empty()) return RefError(text, "empty repository name");
  if (name.size() > kMaxNameLength) {
    return RefError(
        text, absl::StrCat("name is ", name.size(), " characters, longer than ", kMaxNameLength));
  }

  absl::string_view registry;
  absl::string_view path = name;
  size_t first_slash = name.find('/');
  if (first_slash != absl::string_view::npos) {
    absl::string_view first = name.substr(0, first_slash);
    if (absl::StrContains(first, '.') || absl::StrContains(first, ':') || first == "localhost" ||
        absl::StartsWith(first, "[")) {
      registry = first;
      path = name.substr(first_slash + 1);
      std::string why = CheckRegistry(registry);
      if (!why.empty()) return RefError(text, why);
    }
  }
  if (path.empty()) return RefError(text, "empty repository path");
  for (absl::string_view comp : absl::StrSplit(path, '/')) {
    std::string why = CheckPathComponent(comp);
    if (!why.empty()) return RefError(text, why);
  }

  std::string normal_registry = (registry.empty() || registry == "docker.io")
                                    ? std::string(kDockerHubRegistry)
                                    : std::string(registry);
  std::string repository(path);
  if (normal_registry == kDockerHubRegistry && !absl::StrContains(repository, '/')) {
    repository = absl::StrCat("library/", repository);
  }
  // Docker Hub names grow by up to 24 bytes when normalised; String() must parse back.
  if (normal_registry.size() + 1 + repository.size() > kMaxNameLength) {
    return RefError(text, absl::StrCat("name is ", normal_registry.size() + 1 + repository.size(),
                                       " characters once normalised to ", normal_registry,
                                       "/..., longer than ", kMaxNameLength));
  }
  return Reference(std::move(normal_registry), std::move(repository), std::move(tag),
                   std::move(digest));
}

std::string Reference::String() const {
  std::string out = Name();
  if (!tag_.empty()) absl::StrAppend(&out, ":", tag_);
  if (digest_.has_value()) absl::StrAppend(&out, "@", digest_->String());
  return out;
}

std::string Reference::Identifier() const {
  if (digest_.has_value()) return digest_->String();
  if (!tag_.empty()) return tag_;
  return "latest";
}

absl::StatusOr<Reference> Reference::WithTag(absl::string_view tag) const {
  if (!IsValidTag(tag)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid tag ", Quote(tag), " (want [A-Za-z0-9_][A-Za-z0-9_.-]{0,127})"));
  }
  return Reference(registry_, repository_, std::string(tag), std::nullopt);
}

Reference Reference::WithDigest(const Digest& digest) const {
  return Reference(registry_, repository_, "", digest);
}

bool Reference::IsLoopbackRegistry() const { return net::IsLoopbackHost(registry_); }

}  // namespace hallmark::oci
