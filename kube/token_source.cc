#include "kube/token_source.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "base/status_macros.h"

namespace hallmark::kube {
namespace {

// Trimmed: `raw` without surrounding whitespace, checked to be usable in a header.
absl::StatusOr<SecretData> Trimmed(absl::string_view raw, absl::string_view what) {
  absl::string_view token = absl::StripAsciiWhitespace(raw);
  if (token.empty()) return absl::InvalidArgumentError(absl::StrCat(what, ": empty token"));
  for (char c : token) {
    if (c == '\r' || c == '\n' || c == '\0') {
      return absl::InvalidArgumentError(absl::StrCat(what, ": token contains a line break or NUL"));
    }
  }
  return SecretData(token);
}

}  // namespace

absl::StatusOr<SecretData> ReadTokenFile(const std::string& path) {
  absl::StatusOr<std::string> raw = ReadFile(path, kMaxTokenBytes);
  if (!raw.ok()) {
    return absl::Status(raw.status().code(),
                        absl::StrCat("reading token file: ", raw.status().message()));
  }
  absl::StatusOr<SecretData> token = Trimmed(*raw, absl::StrCat("token file ", path));
  internal::SecureWipe(raw->data(), raw->size());
  return token;
}

std::unique_ptr<TokenSource> TokenSource::Static(const SecretData& token) {
  absl::StatusOr<SecretData> trimmed = Trimmed(token.InsecureView(), "static token");
  auto source = std::unique_ptr<TokenSource>(new TokenSource(
      trimmed.ok() ? *std::move(trimmed) : SecretData(), "", nullptr, absl::InfiniteDuration()));
  return source;
}

absl::StatusOr<std::unique_ptr<TokenSource>> TokenSource::FromFile(std::string path, Clock& clock,
                                                                   absl::Duration refresh_period) {
  if (path.empty()) return absl::InvalidArgumentError("token file: empty path");
  if (refresh_period <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("token file: refresh period must be positive");
  }
  auto source = std::unique_ptr<TokenSource>(
      new TokenSource(SecretData(), std::move(path), &clock, refresh_period));
  absl::MutexLock lock(&source->mu_);
  HM_RETURN_IF_ERROR(source->ReadLocked());
  return source;
}

TokenSource::TokenSource(SecretData token, std::string path, Clock* clock, absl::Duration period)
    : path_(std::move(path)), clock_(clock), period_(period) {
  token_ = std::move(token);
  valid_ = !token_.empty();
}

absl::Status TokenSource::ReadLocked() {
  // Stamp before reading: a rewrite racing with the read is picked up by the next refresh.
  absl::Time start = clock_->Now();
  HM_ASSIGN_OR_RETURN(SecretData token, ReadTokenFile(path_));
  token_ = std::move(token);
  read_at_ = start;
  valid_ = true;
  return absl::OkStatus();
}

absl::StatusOr<SecretData> TokenSource::Token() {
  absl::MutexLock lock(&mu_);
  if (path_.empty()) {
    if (!valid_) return absl::FailedPreconditionError("static token is empty");
    return token_;
  }
  if (!valid_ || clock_->Now() - read_at_ >= period_) {
    absl::Status read = ReadLocked();
    if (!read.ok() && token_.empty()) return read;
    // Otherwise keep serving the previous token while the file is unreadable (a hand-edited
    // tokenFile may be caught half-written); read_at_ is unchanged, so the next call re-reads.
  }
  return token_;
}

bool TokenSource::Invalidate(absl::Time request_start) {
  if (path_.empty()) return false;
  absl::MutexLock lock(&mu_);
  if (read_at_ <= request_start) valid_ = false;
  return true;
}

}  // namespace hallmark::kube
