#include "tests/apiserver/selector.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace hallmark::tests::apiserver {
namespace {

constexpr absl::string_view kQualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
constexpr absl::string_view kQualifiedNameErrMsg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character";
constexpr absl::string_view kLabelValueFmt = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
constexpr absl::string_view kLabelValueErrMsg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character";
constexpr absl::string_view kDns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
constexpr absl::string_view kDns1123LabelErrMsg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character";
constexpr absl::string_view kDns1123SubdomainFmt =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
constexpr absl::string_view kDns1123SubdomainErrMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character";

std::string RegexError(absl::string_view msg, absl::string_view fmt,
                       std::vector<absl::string_view> examples) {
  std::string out(msg);
  if (examples.empty()) return absl::StrCat(out, " (regex used for validation is '", fmt, "')");
  out += " (e.g. ";
  for (size_t i = 0; i < examples.size(); ++i) {
    if (i > 0) out += " or ";
    absl::StrAppend(&out, "'", examples[i], "', ");
  }
  absl::StrAppend(&out, "regex used for validation is '", fmt, "')");
  return out;
}

std::string MaxLenError(int n) { return absl::StrCat("must be no more than ", n, " characters"); }

bool IsAlnum(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); }

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool MatchesQualifiedName(absl::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsAlnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool MatchesDns1123Label(absl::string_view s) {
  if (s.empty() || !IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsLowerAlnum(c) && c != '-') return false;
  }
  return true;
}

bool MatchesDns1123Subdomain(absl::string_view s) {
  if (s.empty()) return false;
  for (absl::string_view label : absl::StrSplit(s, '.')) {
    if (!MatchesDns1123Label(label)) return false;
  }
  return true;
}

// Tokens of the label-selector lexer (apimachinery pkg/labels/selector.go).
enum class Tok {
  kEnd,
  kIdent,
  kIn,
  kNotIn,
  kOpenPar,
  kClosePar,
  kComma,
  kEquals,
  kDoubleEquals,
  kNotEquals,
  kDoesNotExist,  // "!"
  kGreater,
  kLess,
};

struct Token {
  Tok type;
  std::string text;
};

bool IsSpecial(char c) {
  return c == '!' || c == '=' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

std::vector<Token> Lex(absl::string_view in) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < in.size()) {
    char c = in[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    if (IsSpecial(c)) {
      if (c == '!' && i + 1 < in.size() && in[i + 1] == '=') {
        out.push_back({Tok::kNotEquals, "!="});
        i += 2;
      } else if (c == '=' && i + 1 < in.size() && in[i + 1] == '=') {
        out.push_back({Tok::kDoubleEquals, "=="});
        i += 2;
      } else {
        Tok t = c == '!'   ? Tok::kDoesNotExist
                : c == '=' ? Tok::kEquals
                : c == '(' ? Tok::kOpenPar
                : c == ')' ? Tok::kClosePar
                : c == ',' ? Tok::kComma
                : c == '>' ? Tok::kGreater
                           : Tok::kLess;
        out.push_back({t, std::string(1, c)});
        ++i;
      }
      continue;
    }
    size_t j = i;
    while (j < in.size() && !IsSpecial(in[j]) && in[j] != ' ' && in[j] != '\t' && in[j] != '\n' &&
           in[j] != '\r') {
      ++j;
    }
    std::string word(in.substr(i, j - i));
    Tok t = word == "in" ? Tok::kIn : word == "notin" ? Tok::kNotIn : Tok::kIdent;
    out.push_back({t, word});
    i = j;
  }
  out.push_back({Tok::kEnd, ""});
  return out;
}

absl::Status ParseError(absl::string_view found, absl::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("unable to parse requirement: found '", found, "', expected: ", expected));
}

absl::Status ValidateRequirement(const LabelSelector::Requirement& r) {
  std::vector<std::string> errs = IsQualifiedName(r.key);
  if (!errs.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unable to parse requirement: key: Invalid value: \"", r.key,
                     "\": ", absl::StrJoin(errs, "; ")));
  }
  for (size_t i = 0; i < r.values.size(); ++i) {
    if (r.op == LabelSelector::Op::kGreater || r.op == LabelSelector::Op::kLess) {
      int64_t n;
      if (!absl::SimpleAtoi(r.values[i], &n)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "unable to parse requirement: values[", i, "]: Invalid value: \"", r.values[i],
            "\": for 'Gt', 'Lt' operators, the value must be an integer"));
      }
      continue;
    }
    std::vector<std::string> verrs = IsValidLabelValue(r.values[i]);
    if (!verrs.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unable to parse requirement: values[", i, "][", r.key,
                       "]: Invalid value: \"", r.values[i], "\": ", absl::StrJoin(verrs, "; ")));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> IsQualifiedName(absl::string_view value) {
  std::vector<std::string> errs;
  std::vector<absl::string_view> parts = absl::StrSplit(value, '/');
  absl::string_view name;
  if (parts.size() == 1) {
    name = parts[0];
  } else if (parts.size() == 2) {
    absl::string_view prefix = parts[0];
    name = parts[1];
    if (prefix.empty()) {
      errs.push_back("prefix part must be non-empty");
    } else {
      for (const auto& m : IsDns1123Subdomain(prefix)) errs.push_back("prefix part " + m);
    }
  } else {
    errs.push_back(absl::StrCat(
        "a qualified name ",
        RegexError(kQualifiedNameErrMsg, kQualifiedNameFmt, {"MyName", "my.name", "123-abc"}),
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"));
    return errs;
  }
  if (name.empty()) {
    errs.push_back("name part must be non-empty");
  } else if (name.size() > 63) {
    errs.push_back("name part " + MaxLenError(63));
  }
  if (!MatchesQualifiedName(name)) {
    errs.push_back("name part " + RegexError(kQualifiedNameErrMsg, kQualifiedNameFmt,
                                             {"MyName", "my.name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> IsValidLabelValue(absl::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > 63) errs.push_back(MaxLenError(63));
  if (!value.empty() && !MatchesQualifiedName(value)) {
    errs.push_back(RegexError(kLabelValueErrMsg, kLabelValueFmt, {"MyValue", "my_value", "12345"}));
  }
  return errs;
}

std::vector<std::string> IsDns1123Subdomain(absl::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > 253) errs.push_back(MaxLenError(253));
  if (!MatchesDns1123Subdomain(value)) {
    errs.push_back(RegexError(kDns1123SubdomainErrMsg, kDns1123SubdomainFmt, {"example.com"}));
  }
  return errs;
}

std::vector<std::string> IsDns1123Label(absl::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > 63) errs.push_back(MaxLenError(63));
  if (!MatchesDns1123Label(value)) {
    if (MatchesDns1123Subdomain(value)) {
      errs.push_back("must not contain dots");
    } else {
      errs.push_back(RegexError(kDns1123LabelErrMsg, kDns1123LabelFmt, {"my-name", "123-abc"}));
    }
  }
  return errs;
}

std::vector<std::string> IsConfigMapKey(absl::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > 253) errs.push_back(MaxLenError(253));
  bool ok = !value.empty();
  for (char c : value) ok = ok && (IsAlnum(c) || c == '-' || c == '_' || c == '.');
  if (!ok) {
    errs.push_back(
        RegexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                   "[-._a-zA-Z0-9]+", {"key.name", "KEY_NAME", "key-name"}));
  }
  if (value == ".") {
    errs.push_back("must not be '.'");
  } else if (value == "..") {
    errs.push_back("must not be '..'");
  } else if (absl::StartsWith(value, "..")) {
    errs.push_back("must not start with '..'");
  }
  return errs;
}

absl::StatusOr<LabelSelector> LabelSelector::Parse(absl::string_view text) {
  LabelSelector sel;
  std::vector<Token> toks = Lex(text);
  size_t p = 0;
  auto peek = [&]() -> const Token& { return toks[p]; };
  auto next = [&]() -> const Token& { return toks[p++]; };
  if (peek().type == Tok::kEnd) return sel;
  while (true) {
    Requirement r;
    if (peek().type == Tok::kDoesNotExist) {
      next();
      const Token& key = next();
      if (key.type != Tok::kIdent) return ParseError(key.text, "identifier after '!'");
      r.key = key.text;
      r.op = Op::kDoesNotExist;
    } else {
      const Token& key = next();
      if (key.type != Tok::kIdent) {
        return ParseError(key.text, "!, identifier, or 'end of string'");
      }
      r.key = key.text;
      const Token& op = peek();
      switch (op.type) {
        case Tok::kEnd:
        case Tok::kComma:
          r.op = Op::kExists;
          break;
        case Tok::kEquals:
        case Tok::kDoubleEquals:
        case Tok::kNotEquals: {
          next();
          r.op = op.type == Tok::kNotEquals ? Op::kNotEquals : Op::kEquals;
          if (peek().type == Tok::kIdent) {
            r.values.push_back(next().text);
          } else if (peek().type == Tok::kEnd || peek().type == Tok::kComma) {
            r.values.push_back("");
          } else {
            return ParseError(peek().text, "identifier");
          }
          break;
        }
        case Tok::kGreater:
        case Tok::kLess: {
          next();
          r.op = op.type == Tok::kGreater ? Op::kGreater : Op::kLess;
          if (peek().type != Tok::kIdent) return ParseError(peek().text, "identifier");
          r.values.push_back(next().text);
          break;
        }
        case Tok::kIn:
        case Tok::kNotIn: {
          next();
          r.op = op.type == Tok::kIn ? Op::kIn : Op::kNotIn;
          if (next().type != Tok::kOpenPar) return ParseError(toks[p - 1].text, "'('");
          while (true) {
            if (peek().type == Tok::kIdent) {
              r.values.push_back(next().text);
            } else if (peek().type == Tok::kComma || peek().type == Tok::kClosePar) {
              r.values.push_back("");
            } else {
              return ParseError(peek().text, "',', ')' or identifier");
            }
            const Token& sep = next();
            if (sep.type == Tok::kClosePar) break;
            if (sep.type != Tok::kComma) return ParseError(sep.text, "',' or ')'");
          }
          std::sort(r.values.begin(), r.values.end());
          r.values.erase(std::unique(r.values.begin(), r.values.end()), r.values.end());
          break;
        }
        default:
          return ParseError(op.text, "'=', '!=', '==', 'in', notin'");
      }
    }
    absl::Status s = ValidateRequirement(r);
    if (!s.ok()) return s;
    sel.requirements_.push_back(std::move(r));
    const Token& sep = next();
    if (sep.type == Tok::kEnd) break;
    if (sep.type != Tok::kComma) return ParseError(sep.text, "',' or 'end of string'");
  }
  return sel;
}

absl::StatusOr<LabelSelector> LabelSelector::FromJson(const nlohmann::json& selector) {
  LabelSelector sel;
  if (selector.is_null()) return sel;
  if (!selector.is_object()) return absl::InvalidArgumentError("label selector must be an object");
  auto ml = selector.find("matchLabels");
  if (ml != selector.end() && ml->is_object()) {
    for (auto it = ml->begin(); it != ml->end(); ++it) {
      if (!it.value().is_string()) {
        return absl::InvalidArgumentError("matchLabels values must be strings");
      }
      sel.requirements_.push_back({it.key(), Op::kEquals, {it.value().get<std::string>()}});
    }
  }
  auto me = selector.find("matchExpressions");
  if (me != selector.end() && me->is_array()) {
    for (const auto& e : *me) {
      if (!e.is_object()) return absl::InvalidArgumentError("matchExpressions must be objects");
      Requirement r;
      auto key = e.find("key");
      auto op = e.find("operator");
      if (key == e.end() || !key->is_string() || op == e.end() || !op->is_string()) {
        return absl::InvalidArgumentError("matchExpressions need key and operator");
      }
      r.key = key->get<std::string>();
      std::string o = op->get<std::string>();
      auto values = e.find("values");
      if (values != e.end() && values->is_array()) {
        for (const auto& v : *values) {
          if (v.is_string()) r.values.push_back(v.get<std::string>());
        }
      }
      if (o == "In") {
        r.op = Op::kIn;
      } else if (o == "NotIn") {
        r.op = Op::kNotIn;
      } else if (o == "Exists") {
        r.op = Op::kExists;
      } else if (o == "DoesNotExist") {
        r.op = Op::kDoesNotExist;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("\"", o, "\" is not a valid label selector operator"));
      }
      sel.requirements_.push_back(std::move(r));
    }
  }
  return sel;
}

bool LabelSelector::Matches(const Labels& labels) const {
  for (const auto& r : requirements_) {
    auto it = labels.find(r.key);
    bool has = it != labels.end();
    switch (r.op) {
      case Op::kExists:
        if (!has) return false;
        break;
      case Op::kDoesNotExist:
        if (has) return false;
        break;
      case Op::kEquals:
      case Op::kIn:
        if (!has || std::find(r.values.begin(), r.values.end(), it->second) == r.values.end()) {
          return false;
        }
        break;
      case Op::kNotEquals:
      case Op::kNotIn:
        if (has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end()) {
          return false;
        }
        break;
      case Op::kGreater:
      case Op::kLess: {
        if (!has) return false;
        int64_t have, want;
        if (!absl::SimpleAtoi(it->second, &have) || r.values.empty() ||
            !absl::SimpleAtoi(r.values[0], &want)) {
          return false;
        }
        if (r.op == Op::kGreater ? !(have > want) : !(have < want)) return false;
        break;
      }
    }
  }
  return true;
}

absl::StatusOr<FieldSelector> FieldSelector::Parse(absl::string_view text) {
  FieldSelector sel;
  if (absl::StripAsciiWhitespace(text).empty()) return sel;
  // Split on unescaped commas.
  std::vector<std::string> terms;
  std::string cur;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      cur.push_back(text[i]);
      cur.push_back(text[++i]);
    } else if (text[i] == ',') {
      terms.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(text[i]);
    }
  }
  terms.push_back(cur);
  for (const std::string& term : terms) {
    // Find the first unescaped operator.
    size_t op_pos = std::string::npos;
    size_t op_len = 0;
    bool equals = true;
    for (size_t i = 0; i < term.size(); ++i) {
      if (term[i] == '\\') {
        ++i;
        continue;
      }
      if (term.compare(i, 2, "!=") == 0) {
        op_pos = i, op_len = 2, equals = false;
        break;
      }
      if (term.compare(i, 2, "==") == 0) {
        op_pos = i, op_len = 2;
        break;
      }
      if (term[i] == '=') {
        op_pos = i, op_len = 1;
        break;
      }
    }
    if (op_pos == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid selector: '", text, "'; can't understand '", term, "'"));
    }
    std::string field = std::string(absl::StripAsciiWhitespace(term.substr(0, op_pos)));
    std::string raw = term.substr(op_pos + op_len);
    std::string value;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\\' && i + 1 < raw.size()) {
        char n = raw[i + 1];
        if (n != '\\' && n != ',' && n != '=') {
          return absl::InvalidArgumentError(absl::StrCat(
              "invalid field selector: invalid escape sequence: \\", std::string(1, n)));
        }
        value.push_back(n);
        ++i;
      } else if (raw[i] == ',' || raw[i] == '=') {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid field selector: unescaped character: ", std::string(1, raw[i])));
      } else {
        value.push_back(raw[i]);
      }
    }
    sel.requirements_.push_back({std::move(field), equals, std::move(value)});
  }
  return sel;
}

std::optional<std::string> FieldSelector::RequiresExactMatch(absl::string_view field) const {
  for (const auto& r : requirements_) {
    if (r.equals && r.field == field) return r.value;
  }
  return std::nullopt;
}

bool FieldSelector::Matches(const std::map<std::string, std::string>& fields) const {
  for (const auto& r : requirements_) {
    auto it = fields.find(r.field);
    const std::string& have = it == fields.end() ? std::string() : it->second;
    if ((have == r.value) != r.equals) return false;
  }
  return true;
}

}  // namespace hallmark::tests::apiserver
