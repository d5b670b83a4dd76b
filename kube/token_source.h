// File: kube/token_source.h
//
// TokenSource: the bearer token of a Kubernetes client. Either fixed (kubeconfig `token`) or read
// from a file that is re-read periodically (in-cluster projected ServiceAccount tokens, which
// kubelet rewrites in place, and kubeconfig `tokenFile`), as client-go does
// (reference/kube-api.md §2): the cached token is used for at most `refresh_period` (60 s), and
// after a 401 the token is dropped if it was read before the failed request started, so the next
// request re-reads the file.
//
// The token lives in SecretData and never appears in a log or error message. File errors name
// the path only. Thread-safe; the clock must outlive the source.
#ifndef HALLMARK_KUBE_TOKEN_SOURCE_H_
#define HALLMARK_KUBE_TOKEN_SOURCE_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "base/secret_data.h"

namespace hallmark::kube {

inline constexpr absl::Duration kTokenRefreshPeriod = absl::Seconds(60);
inline constexpr size_t kMaxTokenBytes = 64 << 10;

class TokenSource {
 public:
  // Static: always `token` (surrounding whitespace removed). Invalidate() has no effect.
  static std::unique_ptr<TokenSource> Static(const SecretData& token);
  // FromFile: reads `path` now (errors: kNotFound, kInvalidArgument when empty or larger than
  // 64 KiB or holding a CR/LF/NUL inside the token, kInternal) and then again whenever the cached
  // copy is older than `refresh_period`. A failed re-read keeps the previous token (the file may
  // be mid-rewrite) and is retried on the next call.
  static absl::StatusOr<std::unique_ptr<TokenSource>> FromFile(
      std::string path, Clock& clock, absl::Duration refresh_period = kTokenRefreshPeriod);

  // Token: the token to send now.
  absl::StatusOr<SecretData> Token();
  // Invalidate: the server answered 401 to a request that started at `request_start`. If the
  // cached token was read before then, it is dropped so the next Token() re-reads the file.
  // Returns true if a retry can use a different token (file-backed source), false otherwise.
  bool Invalidate(absl::Time request_start);

  bool file_backed() const { return !path_.empty(); }
  // Now: the source's clock (the client stamps request starts with it).
  absl::Time Now() const { return clock_ != nullptr ? clock_->Now() : absl::Now(); }

 private:
  TokenSource(SecretData token, std::string path, Clock* clock, absl::Duration period);
  absl::Status ReadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;  // empty: static
  Clock* const clock_;
  const absl::Duration period_;
  absl::Mutex mu_;
  SecretData token_ ABSL_GUARDED_BY(mu_);
  absl::Time read_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool valid_ ABSL_GUARDED_BY(mu_) = false;
};

// ReadTokenFile: the trimmed contents of a token file, with the checks of FromFile.
absl::StatusOr<SecretData> ReadTokenFile(const std::string& path);

}  // namespace hallmark::kube

#endif  // HALLMARK_KUBE_TOKEN_SOURCE_H_
