#include "oci/auth_challenge.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace hallmark::oci {
namespace {

bool IsTokenChar(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsWhitespace(char c) { return c == ' ' || c == '\t'; }

class Parser {
 public:
  explicit Parser(absl::string_view in) : in_(in) {}

  absl::StatusOr<std::vector<AuthChallenge>> Run() {
    std::vector<AuthChallenge> out;
    SkipSeparators();
    if (AtEnd()) return Error("empty challenge");
    while (!AtEnd()) {
      if (out.size() >= kMaxChallenges) return Error("too many challenges");
      AuthChallenge challenge;
      std::string scheme = Token();
      if (scheme.empty()) return Error("expected an auth scheme");
      challenge.scheme = absl::AsciiStrToLower(scheme);
      // Either the end, a comma (next challenge or, for a scheme without params, nothing), or
      // whitespace followed by auth-params.
      if (!AtEnd() && !IsWhitespace(Peek()) && Peek() != ',') return Error("bad auth scheme");
      SkipWhitespace();
      HM_RETURN_IF_ERROR(Params(challenge));
      out.push_back(std::move(challenge));
      SkipSeparators();
    }
    return out;
  }

 private:
  // Params reads `name=value` pairs separated by commas until the input ends or the next item is
  // a new challenge (a token NOT followed by `=`).
  absl::Status Params(AuthChallenge& challenge) {
    while (true) {
      size_t mark = pos_;
      SkipSeparators();
      if (AtEnd()) return absl::OkStatus();
      size_t name_start = pos_;
      std::string name = Token();
      if (name.empty()) return Error("expected an auth-param name");
      SkipWhitespace();
      if (AtEnd() || Peek() != '=') {
        // A new challenge starts here (its scheme) - unless nothing separated it from the
        // previous param, which the grammar does not allow.
        if (mark == name_start) return Error("expected `=` after auth-param name");
        pos_ = mark;
        return absl::OkStatus();
      }
      ++pos_;  // '='
      SkipWhitespace();
      if (!AtEnd() && Peek() == '=') return Error("token68 challenges are not supported");
      std::string value;
      if (!AtEnd() && Peek() == '"') {
        HM_ASSIGN_OR_RETURN(value, Quoted());
      } else {
        value = Token();
        if (value.empty()) return Error("expected an auth-param value");
      }
      if (challenge.params.size() >= kMaxChallengeParams) return Error("too many auth-params");
      if (!challenge.params.emplace(absl::AsciiStrToLower(name), std::move(value)).second) {
        return Error(absl::StrCat("auth-param `", absl::AsciiStrToLower(name), "` repeated"));
      }
      SkipWhitespace();
      if (AtEnd()) return absl::OkStatus();
      if (Peek() != ',') return Error("expected `,` between auth-params");
    }
  }

  absl::StatusOr<std::string> Quoted() {
    ++pos_;  // opening quote
    std::string value;
    while (!AtEnd()) {
      unsigned char c = static_cast<unsigned char>(in_[pos_++]);
      if (c == '"') return value;
      if (c == '\\') {
        if (AtEnd()) break;
        c = static_cast<unsigned char>(in_[pos_++]);
        if (c < 0x20 && c != '\t') return Error("control character in quoted-string");
        if (c == 0x7f) return Error("control character in quoted-string");
        value.push_back(static_cast<char>(c));
        continue;
      }
      if ((c < 0x20 && c != '\t') || c == 0x7f) return Error("control character in quoted-string");
      value.push_back(static_cast<char>(c));
    }
    return Error("unterminated quoted-string");
  }

  std::string Token() {
    size_t start = pos_;
    while (!AtEnd() && IsTokenChar(Peek())) ++pos_;
    return std::string(in_.substr(start, pos_ - start));
  }

  void SkipWhitespace() {
    while (!AtEnd() && IsWhitespace(Peek())) ++pos_;
  }
  void SkipSeparators() {
    while (!AtEnd() && (IsWhitespace(Peek()) || Peek() == ',')) ++pos_;
  }
  bool AtEnd() const { return pos_ >= in_.size(); }
  char Peek() const { return in_[pos_]; }

  absl::Status Error(absl::string_view why) const {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed WWW-Authenticate (", why, " at offset ", pos_, "): \"",
                     absl::CHexEscape(in_.substr(0, 64)), in_.size() > 64 ? "..." : "", "\""));
  }

  absl::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

std::optional<std::string> AuthChallenge::Param(absl::string_view name) const {
  auto it = params.find(std::string(name));
  if (it == params.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::vector<AuthChallenge>> ParseAuthChallenges(absl::string_view header) {
  if (header.size() > kMaxChallengeHeaderBytes) {
    return absl::InvalidArgumentError(absl::StrCat("malformed WWW-Authenticate: ", header.size(),
                                                   " bytes is over the limit of ",
                                                   kMaxChallengeHeaderBytes));
  }
  return Parser(header).Run();
}

absl::StatusOr<std::vector<AuthChallenge>> ParseAuthChallengeHeaders(
    const std::vector<std::string>& fields) {
  std::vector<AuthChallenge> out;
  for (const std::string& field : fields) {
    HM_ASSIGN_OR_RETURN(std::vector<AuthChallenge> some, ParseAuthChallenges(field));
    for (AuthChallenge& c : some) {
      if (out.size() >= kMaxChallenges) {
        return absl::InvalidArgumentError("malformed WWW-Authenticate: too many challenges");
      }
      out.push_back(std::move(c));
    }
  }
  return out;
}

}  // namespace hallmark::oci
