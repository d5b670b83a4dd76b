// File: crypto/password.h
//
// Where the CLI gets the password of a cosign key file, with cosign's rules
// (shared/reference/cosign-kyverno.md §1.3):
//   1. env COSIGN_PASSWORD, when SET (even to the empty string): its exact bytes;
//   2. else, if standard input is a terminal: prompt `Enter password for private key: ` (echo
//      off) and read one line; when creating a key, prompt again with
//      `Enter password for private key again: ` and fail with `passwords do not match`;
//   3. else: ALL of standard input, verbatim (no newline stripping).
#ifndef HALLMARK_CRYPTO_PASSWORD_H_
#define HALLMARK_CRYPTO_PASSWORD_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "base/secret_data.h"

namespace hallmark::crypto {

inline constexpr char kPasswordEnv[] = "COSIGN_PASSWORD";
// Longest password read from a pipe or a terminal (bounds memory on a runaway stdin).
inline constexpr size_t kMaxPasswordBytes = 1 << 20;

enum class PasswordPurpose {
  kUse,     // decrypting an existing key: one prompt
  kCreate,  // encrypting a new key: prompt twice and compare
};

// ReadPassword applies the rules above to this process's environment, stdin (fd 0) and stderr
// (fd 2, for the prompts). Errors: kInvalidArgument `passwords do not match`, or a password
// longer than kMaxPasswordBytes; kInternal for read errors. The password is never echoed or
// logged.
absl::StatusOr<SecretData> ReadPassword(PasswordPurpose purpose);

// PasswordReadsStdin: true when ReadPassword would consume all of standard input (COSIGN_PASSWORD
// unset and stdin not a terminal), so stdin cannot also carry data.
bool PasswordReadsStdin();

// ReadPasswordFrom: the same with explicit sources, for tests. `env_value` is the value of
// COSIGN_PASSWORD or nullptr when unset; `in_fd` is read (prompting on `prompt_fd` when `in_fd`
// is a terminal).
absl::StatusOr<SecretData> ReadPasswordFrom(const char* env_value, int in_fd, int prompt_fd,
                                            PasswordPurpose purpose);

}  // namespace hallmark::crypto

#endif  // HALLMARK_CRYPTO_PASSWORD_H_
