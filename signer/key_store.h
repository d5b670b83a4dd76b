// File: signer/key_store.h
//
// KeyStore: the current Signer built from the `signing-secrets` Secret, swapped atomically when
// the Secret changes (DESIGN.md: "the key is decrypted once per Secret version"). Whoever watches
// the Secret (the Kubernetes informer or the mounted-folder poller, signer/secret_dir.h) calls
// Update with its whole content each time it may have changed; the key is decrypted only when
// the content hash (SecretVersion) differs from the last one seen, so scrypt runs once per
// version however often Update is called. Signers already handed out stay valid: a run that
// started signing with the old key finishes with it; the next Current() returns the new one.
//
// A Secret that is missing, has no key, or holds a bad key gives an error from Current() -
// never the previous key: after a rotation to a broken key nothing is signed until it is fixed
// (runs wait; DESIGN.md "never marked signed unless...").
//
// Thread-safe.
#ifndef HALLMARK_SIGNER_KEY_STORE_H_
#define HALLMARK_SIGNER_KEY_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "signer/signer.h"
#include "signer/signing_secrets.h"

namespace hallmark::signer {

class KeyStore {
 public:
  // `source` names where the key comes from, for messages: "Secret tekton-chains/signing-secrets"
  // or "folder /etc/signing-secrets".
  explicit KeyStore(std::string source);

  // Update: the Secret's content now; nullopt when it does not exist. Returns true when the
  // result of Current() changed (a new key, or a different error).
  bool Update(const std::optional<SecretFiles>& files);
  // UpdateUnreadable: the Secret could not be read (e.g. an oversized or unreadable file in the
  // mounted folder): no key, with `why` as the reason. Returns true when Current() changed.
  bool UpdateUnreadable(const absl::Status& why);

  // Current: the signer, or why there is none: kFailedPrecondition "<source>: <reason>" for a
  // missing Secret or a missing/bad key (signer/signing_secrets.h), kUnavailable before the first
  // Update ("not read yet").
  absl::StatusOr<std::shared_ptr<const Signer>> Current() const;

  // generation: bumped by every Update that returned true.
  uint64_t generation() const;
  // loads: how many times a key was decrypted/parsed (tests check "once per version").
  uint64_t loads() const;

 private:
  const std::string source_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const Signer> signer_ ABSL_GUARDED_BY(mu_);
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  std::string version_ ABSL_GUARDED_BY(mu_);  // "" before the first Update; "absent" if missing
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t loads_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace hallmark::signer

#endif  // HALLMARK_SIGNER_KEY_STORE_H_
