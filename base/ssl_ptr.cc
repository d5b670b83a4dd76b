#include "base/ssl_ptr.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "openssl/err.h"

namespace hallmark {

absl::Status SslError(absl::string_view what, absl::StatusCode code) {
  std::string reasons;
  unsigned long err;  // NOLINT(runtime/int): OpenSSL's type.
  while ((err = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof(buf));
    absl::StrAppend(&reasons, reasons.empty() ? "" : "; ", buf);
  }
  if (reasons.empty()) return absl::Status(code, what);
  return absl::Status(code, absl::StrCat(what, ": ", reasons));
}

void ClearSslErrors() { ERR_clear_error(); }

SslPtr<BIO> NewMemBio(absl::string_view data) {
  return SslPtr<BIO>(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

}  // namespace hallmark
