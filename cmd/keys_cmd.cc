// Key verbs, cosign-compatible: generate-key-pair, import-key-pair, public-key, sign-blob,
// verify-blob. The work is in crypto/key_files.h; these callbacks parse flags and print.
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "base/secret_data.h"
#include "cmd/cli.h"
#include "crypto/cosign_key.h"
#include "crypto/key_files.h"
#include "crypto/key_type.h"
#include "crypto/password.h"
#include "crypto/private_key.h"

namespace hallmark::cmd {
namespace {

using crypto::CosignKeyFormat;
using crypto::HashAlgorithm;

// Prints `Error: <message>` (cosign's first line) and returns the generic failure code.
int Fail(const absl::Status& status) {
  std::fprintf(stderr, "Error: %s\n", std::string(status.message()).c_str());
  return kExitError;
}

crypto::PasswordFn InteractivePassword(crypto::PasswordPurpose purpose) {
  return [purpose] { return crypto::ReadPassword(purpose); };
}

struct KeyPairFlags {
  std::string prefix;
  bool legacy = false;
  bool yes = false;
};

void AddKeyPairFlags(CLI::App* sub, KeyPairFlags* flags, const char* default_prefix) {
  flags->prefix = default_prefix;
  sub->add_option("--output-key-prefix,-o", flags->prefix,
                  "Write <prefix>.key (0600) and <prefix>.pub (0644)")
      ->capture_default_str();
  sub->add_flag("--legacy-key-format", flags->legacy,
                "Write the oldest cosign key shape (ENCRYPTED COSIGN PRIVATE KEY, scrypt "
                "N=32768) that old cosign, skopeo and containers/image read");
  sub->add_flag("--yes,-y", flags->yes, "Overwrite existing key files");
}

// Asks for the new key's password (twice on a terminal), writes both files, reports like cosign.
int WriteNewKeyPair(const crypto::PrivateKey& key, const KeyPairFlags& flags) {
  absl::StatusOr<SecretData> password = crypto::ReadPassword(crypto::PasswordPurpose::kCreate);
  if (!password.ok()) return Fail(password.status());
  absl::StatusOr<crypto::KeyPairPaths> paths = crypto::WriteKeyPair(
      key, *password, flags.prefix,
      flags.legacy ? CosignKeyFormat::kLegacy : CosignKeyFormat::kCurrent, flags.yes);
  if (!paths.ok()) return Fail(paths.status());
  std::fprintf(stderr, "Private key written to %s\n", paths->private_key.c_str());
  std::fprintf(stderr, "Public key written to %s\n", paths->public_key.c_str());
  return kExitOk;
}

// --signature-digest-algorithm, as cosign spells it.
void AddHashFlag(CLI::App* sub, std::string* hash) {
  *hash = "sha256";
  sub->add_option("--signature-digest-algorithm", *hash,
                  "Digest for ECDSA/RSA signatures: sha224, sha256, sha384, sha512 (ignored for "
                  "Ed25519, which is always pure)")
      ->capture_default_str();
}

void RegisterGenerateKeyPair(CLI::App& app, int* exit_code) {
  CLI::App* sub = app.add_subcommand(
      "generate-key-pair",
      "Generate a cosign key pair (ECDSA P-256 by default); the password comes from "
      "COSIGN_PASSWORD, the terminal, or standard input");
  auto flags = std::make_shared<KeyPairFlags>();
  auto type = std::make_shared<std::string>("ecdsa-p256");
  AddKeyPairFlags(sub, flags.get(), "cosign");
  sub->add_option("--key-type", *type,
                  "ecdsa-p256, ecdsa-p384, ecdsa-p521, rsa-2048, rsa-3072, rsa-4096 or ed25519")
      ->capture_default_str();
  sub->callback([flags, type, exit_code] {
    absl::StatusOr<crypto::KeyType> key_type = crypto::ParseKeyType(*type);
    if (!key_type.ok()) {
      *exit_code = Fail(key_type.status());
      return;
    }
    absl::StatusOr<crypto::PrivateKey> key = crypto::PrivateKey::Generate(*key_type);
    *exit_code = key.ok() ? WriteNewKeyPair(*key, *flags) : Fail(key.status());
  });
}

void RegisterImportKeyPair(CLI::App& app, int* exit_code) {
  CLI::App* sub = app.add_subcommand(
      "import-key-pair",
      "Import an unencrypted PKCS#1 RSA, SEC1 EC or PKCS#8 private key as a cosign key pair");
  auto key_path = std::make_shared<std::string>();
  auto flags = std::make_shared<KeyPairFlags>();
  sub->add_option("--key,-k", *key_path, "The private key file to import")->required();
  AddKeyPairFlags(sub, flags.get(), "import-cosign");
  sub->callback([key_path, flags, exit_code] {
    absl::StatusOr<crypto::PrivateKey> key = crypto::ImportPrivateKeyFile(*key_path);
    *exit_code = key.ok() ? WriteNewKeyPair(*key, *flags) : Fail(key.status());
  });
}

void RegisterPublicKey(CLI::App& app, int* exit_code) {
  CLI::App* sub =
      app.add_subcommand("public-key", "Print the PEM public key of a private key file");
  auto key_path = std::make_shared<std::string>();
  sub->add_option("--key", *key_path, "Private key file (cosign encrypted, or unencrypted PEM)")
      ->required();
  sub->callback([key_path, exit_code] {
    absl::StatusOr<crypto::PrivateKey> key =
        crypto::LoadPrivateKeyFile(*key_path, InteractivePassword(crypto::PasswordPurpose::kUse));
    if (!key.ok()) {
      *exit_code = Fail(key.status());
      return;
    }
    std::fputs(key->public_key().Pem().c_str(), stdout);
    *exit_code = kExitOk;
  });
}

void RegisterSignBlob(CLI::App& app, int* exit_code) {
  CLI::App* sub = app.add_subcommand(
      "sign-blob", "Sign a file (or - for standard input) and print the base64 signature");
  auto key_path = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  auto blob = std::make_shared<std::string>();
  auto hash = std::make_shared<std::string>();
  sub->add_option("--key", *key_path, "Private key file")->required();
  sub->add_option("--output-signature", *output,
                  "Write the base64 signature to this file instead of standard output");
  AddHashFlag(sub, hash.get());
  sub->add_option("file", *blob, "The file to sign, or - for standard input")->required();
  sub->callback([key_path, output, blob, hash, exit_code] {
    absl::StatusOr<HashAlgorithm> algorithm = crypto::ParseHashAlgorithm(*hash);
    if (!algorithm.ok()) {
      *exit_code = Fail(algorithm.status());
      return;
    }
    absl::StatusOr<std::string> sig = crypto::SignBlob(
        *key_path, *blob, InteractivePassword(crypto::PasswordPurpose::kUse), *algorithm);
    if (!sig.ok()) {
      *exit_code = Fail(sig.status());
      return;
    }
    if (output->empty()) {
      std::printf("%s\n", sig->c_str());
    } else {
      // cosign writes it 0600 and reports on stdout.
      absl::Status written = WriteFileAtomic(*output, *sig, 0600);
      if (!written.ok()) {
        *exit_code = Fail(written);
        return;
      }
      std::printf("Signature wrote in the file %s\n", output->c_str());
    }
    *exit_code = kExitOk;
  });
}

void RegisterVerifyBlob(CLI::App& app, int* exit_code) {
  CLI::App* sub = app.add_subcommand(
      "verify-blob", "Verify a signature over a file (or - for standard input) with a public key");
  auto key_path = std::make_shared<std::string>();
  auto signature = std::make_shared<std::string>();
  auto blob = std::make_shared<std::string>();
  auto hash = std::make_shared<std::string>();
  sub->add_option("--key", *key_path, "Public key file (PEM)")->required();
  sub->add_option("--signature", *signature,
                  "Signature: a file with the base64 or raw signature, or the base64 text")
      ->required();
  AddHashFlag(sub, hash.get());
  sub->add_option("file", *blob, "The signed file, or - for standard input")->required();
  sub->callback([key_path, signature, blob, hash, exit_code] {
    absl::StatusOr<HashAlgorithm> algorithm = crypto::ParseHashAlgorithm(*hash);
    absl::Status verified = algorithm.ok()
                                ? crypto::VerifyBlob(*key_path, *signature, *blob, *algorithm)
                                : algorithm.status();
    if (!verified.ok()) {
      *exit_code = Fail(verified);
      return;
    }
    std::fprintf(stderr, "Verified OK\n");
    *exit_code = kExitOk;
  });
}

}  // namespace

void RegisterKeys(CLI::App& app, int* exit_code) {
  RegisterGenerateKeyPair(app, exit_code);
  RegisterImportKeyPair(app, exit_code);
  RegisterPublicKey(app, exit_code);
  RegisterSignBlob(app, exit_code);
  RegisterVerifyBlob(app, exit_code);
}

}  // namespace hallmark::cmd
