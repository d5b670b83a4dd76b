// File: signer/secret_dir.h
//
// The `signing-secrets` Secret mounted as a folder (`--signing-secrets-dir /etc/signing-secrets`,
// as Chains' Deployment mounts it: the whole Secret, no subPath, so the kubelet swaps the files
// in place on rotation, about a minute after the Secret changes).
//
// SecretDirWatcher re-reads the key files every `period` (they are a few KiB) and hands them to a
// KeyStore, which decrypts only when their content changed. Reading content rather than
// comparing mtimes copes with the kubelet's symlink swap (`..data`) and with clocks of coarse
// resolution.
#ifndef HALLMARK_SIGNER_SECRET_DIR_H_
#define HALLMARK_SIGNER_SECRET_DIR_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "signer/key_store.h"
#include "signer/signing_secrets.h"

namespace hallmark::signer {

// ReadSecretDir: the key files (x509.pem, cosign.key, cosign.password) present in `dir`;
// nullopt when `dir` does not exist. Errors: kInvalidArgument for a file over
// kMaxSecretFileBytes, kInternal for other I/O errors (messages name the path, never content).
absl::StatusOr<std::optional<SecretFiles>> ReadSecretDir(absl::string_view dir);

class SecretDirWatcher {
 public:
  // New: `store` must outlive the watcher; `on_change` (may be empty) runs on the watcher's
  // thread after an Update that changed the store. kInvalidArgument for an empty dir or a
  // non-positive period.
  static absl::StatusOr<std::unique_ptr<SecretDirWatcher>> New(
      std::string dir, KeyStore* store, absl::Duration period = absl::Seconds(1),
      std::function<void()> on_change = nullptr);
  ~SecretDirWatcher();  // Stop()

  // PollOnce: read the folder now and update the store; true if the store changed. A read
  // error makes the store's state that error (runs wait) and is logged.
  bool PollOnce();
  // Start: poll every period on a background thread. Stop: end it (idempotent).
  void Start();
  void Stop();

 private:
  SecretDirWatcher(std::string dir, KeyStore* store, absl::Duration period,
                   std::function<void()> on_change)
      : dir_(std::move(dir)), store_(store), period_(period), on_change_(std::move(on_change)) {}

  const std::string dir_;
  KeyStore* const store_;
  const absl::Duration period_;
  const std::function<void()> on_change_;
  absl::Mutex mu_;
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace hallmark::signer

#endif  // HALLMARK_SIGNER_SECRET_DIR_H_
