#include "chains/agent/registry_credentials.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace hallmark::chains::agent {

absl::StatusOr<std::unique_ptr<RegistryCredentials>> RegistryCredentials::New(
    RegistryCredentialsOptions options) {
  if (options.clock == nullptr) return absl::InvalidArgumentError("registry credentials: no clock");
  bool explicit_file = !options.config_file.empty();
  std::string file = explicit_file ? options.config_file : oci::Keychain::DefaultPath();
  std::unique_ptr<RegistryCredentials> creds(
      new RegistryCredentials(std::move(options), std::move(file), explicit_file));
  absl::MutexLock lock(&creds->mu_);
  Result first = creds->CheckFileLocked();
  if (first.outcome == Outcome::kRejected) return first.error;
  if (explicit_file && !creds->file_identity_.has_value()) {
    return absl::NotFoundError(absl::StrCat("--registry-config ", creds->file_, ": no such file"));
  }
  return creds;
}

oci::Keychain RegistryCredentials::Keychain() const {
  absl::MutexLock lock(&mu_);
  oci::Keychain merged = from_file_;
  if (from_secret_.has_value()) merged.Merge(*from_secret_);
  return merged;
}

bool RegistryCredentials::FileExists() const {
  absl::MutexLock lock(&mu_);
  return file_identity_.has_value();
}

absl::StatusOr<std::optional<RegistryCredentials::Identity>> RegistryCredentials::Stat() const {
  struct stat st;
  // stat, not lstat: a mounted Secret's file is a symlink through `..data`, which the kubelet
  // swaps on every update; the identity that matters is the file it points to now.
  if (::stat(file_.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<Identity>();
    return absl::UnavailableError(absl::StrCat("stat ", file_, ": ", strerror(errno)));
  }
  Identity id;
  id.dev = st.st_dev;
  id.ino = st.st_ino;
  id.size = st.st_size;
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return std::optional<Identity>(id);
}

RegistryCredentials::Result RegistryCredentials::CheckFile(bool force) {
  absl::MutexLock lock(&mu_);
  if (!force && options_.clock->Now() - last_check_ < options_.min_check_interval) return {};
  return CheckFileLocked();
}

RegistryCredentials::Result RegistryCredentials::CheckFileLocked() {
  last_check_ = options_.clock->Now();
  if (file_.empty()) return {};
  absl::StatusOr<std::optional<Identity>> id = Stat();
  if (!id.ok()) {
    // Reported once per failure streak; the previous credentials stay.
    if (stat_failed_) return {};
    stat_failed_ = true;
    return {Outcome::kRejected, id.status()};
  }
  stat_failed_ = false;
  if (!id->has_value()) {
    if (!file_identity_.has_value()) return {};
    file_identity_.reset();
    if (explicit_file_) {
      return {Outcome::kRejected,
              absl::NotFoundError(absl::StrCat(file_, ": the file disappeared"))};
    }
    from_file_ = oci::Keychain();
    return {Outcome::kRemoved, absl::OkStatus()};
  }
  if (file_identity_.has_value() && *file_identity_ == **id) return {};
  // Remembered before reading: a file replaced meanwhile has another identity next time.
  file_identity_ = **id;
  absl::StatusOr<oci::Keychain> loaded = oci::Keychain::LoadFile(file_);
  if (!loaded.ok()) return {Outcome::kRejected, loaded.status()};
  from_file_ = *std::move(loaded);
  return {Outcome::kLoaded, absl::OkStatus()};
}

RegistryCredentials::Result RegistryCredentials::UpdateSecret(
    absl::StatusOr<oci::Keychain> keychain) {
  if (!keychain.ok()) return {Outcome::kRejected, keychain.status()};
  absl::MutexLock lock(&mu_);
  from_secret_ = *std::move(keychain);
  return {Outcome::kLoaded, absl::OkStatus()};
}

RegistryCredentials::Result RegistryCredentials::RemoveSecret() {
  absl::MutexLock lock(&mu_);
  if (!from_secret_.has_value()) return {};
  from_secret_.reset();
  return {Outcome::kRemoved, absl::OkStatus()};
}

}  // namespace hallmark::chains::agent
