#include "signer/secret_dir.h"

#include <sys/stat.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "base/log.h"

namespace hallmark::signer {

absl::StatusOr<std::optional<SecretFiles>> ReadSecretDir(absl::string_view dir) {
  struct stat st;
  std::string path(dir);
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return std::optional<SecretFiles>();
  }
  SecretFiles files;
  for (absl::string_view name : {kX509PemFile, kCosignKeyFile, kCosignPasswordFile}) {
    std::string file = absl::StrCat(path, "/", name);
    absl::StatusOr<std::string> bytes = ReadFile(file, kMaxSecretFileBytes);
    if (absl::IsNotFound(bytes.status())) continue;
    if (!bytes.ok()) return bytes.status();
    files.emplace(std::string(name), SecretData(*bytes));
    internal::SecureWipe(bytes->data(), bytes->size());
  }
  return std::optional<SecretFiles>(std::move(files));
}

absl::StatusOr<std::unique_ptr<SecretDirWatcher>> SecretDirWatcher::New(
    std::string dir, KeyStore* store, absl::Duration period, std::function<void()> on_change) {
  if (dir.empty()) return absl::InvalidArgumentError("signing secrets folder: empty path");
  if (store == nullptr) return absl::InvalidArgumentError("signing secrets folder: no key store");
  if (period <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("signing secrets folder: poll period must be positive");
  }
  return std::unique_ptr<SecretDirWatcher>(
      new SecretDirWatcher(std::move(dir), store, period, std::move(on_change)));
}

SecretDirWatcher::~SecretDirWatcher() { Stop(); }

bool SecretDirWatcher::PollOnce() {
  absl::StatusOr<std::optional<SecretFiles>> files = ReadSecretDir(dir_);
  bool changed;
  if (files.ok()) {
    changed = store_->Update(*files);
    absl::MutexLock lock(&mu_);
    last_error_.clear();
  } else {
    std::string error(files.status().message());
    {
      absl::MutexLock lock(&mu_);
      if (error != last_error_) {
        log::Warn("signing secrets folder unreadable", {{"dir", dir_}, {"error", error}});
      }
      last_error_ = error;
    }
    // An unreadable key file is as bad as none: nothing may be signed with a stale key.
    changed = store_->UpdateUnreadable(files.status());
  }
  if (changed && on_change_) on_change_();
  return changed;
}

void SecretDirWatcher::Start() {
  if (thread_.joinable() || stop_.HasBeenNotified()) return;
  thread_ = std::thread([this] {
    while (!stop_.WaitForNotificationWithTimeout(period_)) PollOnce();
  });
}

void SecretDirWatcher::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

}  // namespace hallmark::signer
