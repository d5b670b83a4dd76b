#include "signer/key_store.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace hallmark::signer {

KeyStore::KeyStore(std::string source)
    : source_(std::move(source)),
      error_(absl::UnavailableError(absl::StrCat(source_, ": not read yet"))) {}

bool KeyStore::Update(const std::optional<SecretFiles>& files) {
  std::string version = files.has_value() ? SecretVersion(*files) : "absent";
  {
    absl::MutexLock lock(&mu_);
    if (version == version_) return false;
  }
  // Decrypt outside the lock: scrypt takes a while and Current() must not wait for it. Updates
  // come from one watcher thread, so two decrypts of the same version do not race in practice;
  // if they did, both would produce the same key.
  std::shared_ptr<const Signer> signer;
  absl::Status error;
  bool loaded = false;
  if (!files.has_value()) {
    error = absl::FailedPreconditionError(absl::StrCat(source_, ": not found"));
  } else {
    absl::StatusOr<std::unique_ptr<Signer>> made = LoadSigner(*files);
    loaded = true;
    if (made.ok()) {
      signer = std::shared_ptr<const Signer>(*std::move(made));
    } else {
      error = absl::FailedPreconditionError(absl::StrCat(source_, ": ", made.status().message()));
    }
  }
  absl::MutexLock lock(&mu_);
  if (loaded) ++loads_;
  bool changed = signer != nullptr || signer_ != nullptr || error != error_;
  version_ = std::move(version);
  signer_ = std::move(signer);
  error_ = std::move(error);
  if (changed) ++generation_;
  return changed;
}

bool KeyStore::UpdateUnreadable(const absl::Status& why) {
  absl::Status error = absl::FailedPreconditionError(absl::StrCat(source_, ": ", why.message()));
  absl::MutexLock lock(&mu_);
  bool changed = signer_ != nullptr || error != error_;
  version_ = absl::StrCat("unreadable:", why.message());
  signer_ = nullptr;
  error_ = std::move(error);
  if (changed) ++generation_;
  return changed;
}

absl::StatusOr<std::shared_ptr<const Signer>> KeyStore::Current() const {
  absl::MutexLock lock(&mu_);
  if (signer_ != nullptr) return signer_;
  return error_;
}

uint64_t KeyStore::generation() const {
  absl::MutexLock lock(&mu_);
  return generation_;
}

uint64_t KeyStore::loads() const {
  absl::MutexLock lock(&mu_);
  return loads_;
}

}  // namespace hallmark::signer
