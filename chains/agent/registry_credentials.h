// File: chains/agent/registry_credentials.h
//
// RegistryCredentials: the agent's registry keychain, followed live from its two sources:
//  - the docker config file (`--registry-config FILE`, else `$DOCKER_CONFIG/config.json` or
//    `~/.docker/config.json`), typically a mounted Secret that the kubelet updates by swapping a
//    symlink. CheckFile() stats the PATH (not an open fd) and reads the file again when its
//    identity (device, inode, size, mtime) changed;
//  - the `--registry-secret` Secret (a kubernetes.io/dockerconfigjson or dockercfg Secret), whose
//    parsed keychain the agent's informer hands to UpdateSecret / RemoveSecret.
// Keychain() merges them with the precedence the agent always had: the file's entry for a
// registry wins over the Secret's.
//
// A broken source never loses credentials: a file that cannot be read or parsed, or a Secret
// that does not parse, leaves the previous credentials of that source in force (kRejected; the
// caller logs the reason, which never holds a credential). A default file that does not exist is
// no credentials (anonymous, as docker); an explicit `--registry-config` file that disappears is
// broken (kRejected), since a mounted Secret never vanishes on purpose.
//
// Thread-safe.
#ifndef HALLMARK_CHAINS_AGENT_REGISTRY_CREDENTIALS_H_
#define HALLMARK_CHAINS_AGENT_REGISTRY_CREDENTIALS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "oci/docker_config.h"

namespace hallmark::chains::agent {

struct RegistryCredentialsOptions {
  // --registry-config; "" means the default location (oci::Keychain::DefaultPath()).
  std::string config_file;
  // CheckFile(force=false) stats the file at most this often.
  absl::Duration min_check_interval = absl::Seconds(1);
  Clock* clock = Clock::RealClock();  // not owned
};

class RegistryCredentials {
 public:
  enum class Outcome {
    kUnchanged,  // nothing new (same file identity, or nothing to do)
    kLoaded,     // new credentials from this source are in force
    kRejected,   // the source is broken; its previous credentials stay in force
    kRemoved,    // the source is gone; its credentials were dropped
  };
  struct Result {
    Outcome outcome = Outcome::kUnchanged;
    absl::Status error;  // kRejected: why (never a credential)
  };

  // New reads the file once. Errors (start fails, as before): an explicit file that does not
  // exist (kNotFound) or does not parse (kInvalidArgument); a default file that does not parse.
  static absl::StatusOr<std::unique_ptr<RegistryCredentials>> New(
      RegistryCredentialsOptions options);

  // Keychain: the merged credentials now (file entries win over the Secret's).
  oci::Keychain Keychain() const;
  // file: the path CheckFile stats ("" when there is none: no DOCKER_CONFIG, no HOME).
  const std::string& file() const { return file_; }
  // FileExists: the file existed at the last check (at New: it was read).
  bool FileExists() const;

  // CheckFile: stats the file and, if its identity changed since the last read, reads it again.
  // Without `force`, returns kUnchanged without a stat when the last check was less than
  // min_check_interval ago.
  Result CheckFile(bool force = false);
  // UpdateSecret: the Secret's keychain, or why it could not be parsed (kRejected, previous
  // Secret credentials kept). kUnchanged never: every valid version counts as a load.
  Result UpdateSecret(absl::StatusOr<oci::Keychain> keychain);
  // RemoveSecret: the Secret was deleted; its credentials are dropped (kRemoved, or kUnchanged
  // if there were none).
  Result RemoveSecret();

 private:
  struct Identity {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const Identity& o) const {
      return dev == o.dev && ino == o.ino && size == o.size && mtime_ns == o.mtime_ns;
    }
  };
  RegistryCredentials(RegistryCredentialsOptions options, std::string file, bool explicit_file)
      : options_(std::move(options)), file_(std::move(file)), explicit_file_(explicit_file) {}
  // Stat: the file's identity, nullopt when it does not exist (other errors: the status).
  absl::StatusOr<std::optional<Identity>> Stat() const;
  Result CheckFileLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RegistryCredentialsOptions options_;
  const std::string file_;
  const bool explicit_file_;

  mutable absl::Mutex mu_;
  // The identity last read (or tried): nullopt = absent.
  std::optional<Identity> file_identity_ ABSL_GUARDED_BY(mu_);
  absl::Time last_check_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool stat_failed_ ABSL_GUARDED_BY(mu_) = false;
  oci::Keychain from_file_ ABSL_GUARDED_BY(mu_);
  std::optional<oci::Keychain> from_secret_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hallmark::chains::agent

#endif  // HALLMARK_CHAINS_AGENT_REGISTRY_CREDENTIALS_H_
