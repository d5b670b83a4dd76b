// Image verbs, cosign-compatible (key-based, legacy `.sig`/`.att` tags, no transparency log):
// sign, attest, verify, verify-attestation. The work is in storage/sign_image.h and
// verifier/verify_image.h; these callbacks parse flags and print what cosign prints
// (shared/reference/cosign-kyverno.md §6), with cosign's exit codes.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/file.h"
#include "base/secret_data.h"
#include "cmd/cli.h"
#include "crypto/key_files.h"
#include "crypto/key_type.h"
#include "crypto/password.h"
#include "crypto/private_key.h"
#include "crypto/public_key.h"
#include "oci/curl_registry_client.h"
#include "oci/docker_config.h"
#include "oci/reference.h"
#include "oci/registry_client.h"
#include "storage/sign_image.h"
#include "verifier/cosign.h"
#include "verifier/predicate_type.h"
#include "verifier/verify_image.h"

namespace hallmark::cmd {
namespace {

constexpr size_t kMaxPredicateBytes = 64 << 20;

constexpr char kTlogWarningSignature[] =
    "WARNING: Skipping tlog verification is an insecure practice that lacks transparency and "
    "auditability verification for the signature.";
constexpr char kTlogWarningAttestation[] =
    "WARNING: Skipping tlog verification is an insecure practice that lacks transparency and "
    "auditability verification for the attestation.";
constexpr char kNoTlog[] =
    "hallmark has no transparency log (Rekor) support, so it cannot check that signatures were "
    "logged; verify key-signed images with --insecure-ignore-tlog (what cosign needs offline too)";

// Fail prints cosign's two failure lines (cobra's `Error: <msg>`, then Go's log line) and returns
// `code`.
int Fail(absl::string_view message, int code = kExitError) {
  std::string text(message);
  std::fprintf(stderr, "Error: %s\n", text.c_str());
  std::string when = absl::FormatTime("%Y/%m/%d %H:%M:%S", absl::Now(), absl::LocalTimeZone());
  std::fprintf(stderr, "%s error during command execution: %s\n", when.c_str(), text.c_str());
  return code;
}

int Fail(const absl::Status& status, int code = kExitError) { return Fail(status.message(), code); }

// The exit code cosign uses for a verification failure.
int VerifyExitCode(const absl::Status& status) {
  switch (verifier::FailureOf(status)) {
    case verifier::Failure::kNoSignatures:
      return kExitNoSignatures;
    case verifier::Failure::kImageNotFound:
      return kExitImageTagNotFound;
    case verifier::Failure::kNoMatchingSignatures:
      return kExitNoMatchingSignatures;
    default:
      return kExitError;
  }
}

struct RegistryFlags {
  bool allow_insecure = false;
  std::string registry_config;
  std::string registry_cacert;
};

void AddRegistryFlags(CLI::App* sub, RegistryFlags* flags) {
  sub->add_flag("--allow-insecure-registry", flags->allow_insecure,
                "Allow plain HTTP and unverified TLS to registries (loopback registries are plain "
                "HTTP anyway). Do not use for anything but testing");
  sub->add_option("--registry-config", flags->registry_config,
                  "Docker config.json with registry credentials (default: $DOCKER_CONFIG/"
                  "config.json, else ~/.docker/config.json)");
  sub->add_option("--registry-cacert", flags->registry_cacert,
                  "PEM bundle of extra CAs trusted for registry TLS");
}

absl::StatusOr<std::unique_ptr<oci::RegistryClient>> NewClient(const RegistryFlags& flags) {
  oci::RegistryClientOptions options;
  absl::StatusOr<oci::Keychain> keychain = flags.registry_config.empty()
                                               ? oci::Keychain::LoadDefault()
                                               : oci::Keychain::LoadFile(flags.registry_config);
  if (!keychain.ok()) return keychain.status();
  options.keychain = *std::move(keychain);
  options.allow_insecure_registries = flags.allow_insecure;
  oci::RegistryTransportOptions transport;
  transport.ca_file = flags.registry_cacert;
  return oci::NewCurlRegistryClient(std::move(options), transport);
}

// COSIGN_REPOSITORY moves signatures and attestations to another repository.
absl::StatusOr<std::optional<oci::Repository>> RepositoryFromEnv() {
  const char* value = std::getenv("COSIGN_REPOSITORY");
  if (value == nullptr || *value == '\0') return std::optional<oci::Repository>();
  absl::StatusOr<oci::Repository> repo = oci::Repository::Parse(value);
  if (!repo.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("COSIGN_REPOSITORY: ", repo.status().message()));
  }
  return std::optional<oci::Repository>(*repo);
}

// -a key=value flags.
absl::StatusOr<std::map<std::string, std::string>> ParseAnnotations(
    const std::vector<std::string>& flags) {
  std::map<std::string, std::string> out;
  for (const std::string& flag : flags) {
    size_t eq = flag.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("unable to parse annotation \"", flag, "\": want key=value"));
    }
    out[flag.substr(0, eq)] = flag.substr(eq + 1);
  }
  return out;
}

absl::StatusOr<crypto::HashAlgorithm> ParseHash(const std::string& name) {
  return crypto::ParseHashAlgorithm(name);
}

// The name cosign prints for a reference: with its tag (`latest` when none) or digest.
std::string DisplayName(const oci::Reference& ref) {
  if (!ref.has_tag() && !ref.has_digest()) return ref.String() + ":latest";
  return ref.String();
}

crypto::PasswordFn Password() {
  return [] { return crypto::ReadPassword(crypto::PasswordPurpose::kUse); };
}

struct SignFlags {
  std::string key;
  std::vector<std::string> annotations;
  std::string image;
  std::string hash = "sha256";
  RegistryFlags registry;
};

void RegisterSign(CLI::App& app, int* exit_code) {
  CLI::App* sub = app.add_subcommand(
      "sign",
      "Sign an image with a key and push the signature to <repo>:sha256-<hex>.sig "
      "(cosign's layout); the key's password comes from COSIGN_PASSWORD, the terminal or "
      "standard input");
  auto flags = std::make_shared<SignFlags>();
  sub->add_option("--key", flags->key, "Private key file (cosign encrypted, or unencrypted PEM)")
      ->required();
  sub->add_option("-a,--annotations", flags->annotations,
                  "key=value annotation for the payload's `optional` (repeatable)");
  sub->add_option("--signature-digest-algorithm", flags->hash, "sha224, sha256, sha384, sha512")
      ->capture_default_str();
  AddRegistryFlags(sub, &flags->registry);
  sub->add_option("image", flags->image, "Image reference (tag or digest)")->required();
  sub->callback([flags, exit_code] {
    auto annotations = ParseAnnotations(flags->annotations);
    if (!annotations.ok()) return void(*exit_code = Fail(annotations.status()));
    auto hash = ParseHash(flags->hash);
    if (!hash.ok()) return void(*exit_code = Fail(hash.status()));
    auto ref = oci::Reference::Parse(flags->image);
    if (!ref.ok()) return void(*exit_code = Fail(ref.status()));
    auto repository = RepositoryFromEnv();
    if (!repository.ok()) return void(*exit_code = Fail(repository.status()));
    auto key = crypto::LoadPrivateKeyFile(flags->key, Password());
    if (!key.ok()) return void(*exit_code = Fail(key.status()));
    auto client = NewClient(flags->registry);
    if (!client.ok()) return void(*exit_code = Fail(client.status()));
    storage::SignImageOptions options;
    options.annotations = *std::move(annotations);
    options.hash = *hash;
    options.storage.repository = *repository;
    auto signed_image = storage::SignImage(**client, *key, *ref, options);
    if (!signed_image.ok()) return void(*exit_code = Fail(signed_image.status()));
    std::fprintf(stderr, "Pushing signature to: %s\n", signed_image->destination.String().c_str());
    if (!signed_image->stored) {
      std::fprintf(stderr, "An equivalent signature by this key is already there: nothing added\n");
    }
    *exit_code = kExitOk;
  });
}

struct AttestFlags {
  std::string key;
  std::string predicate;
  std::string type = "custom";
  std::string image;
  std::string hash = "sha256";
  RegistryFlags registry;
};

void RegisterAttest(CLI::App& app, int* exit_code) {
  CLI::App* sub = app.add_subcommand(
      "attest",
      "Attest an image: sign an in-toto statement (DSSE) with a key and push it to "
      "<repo>:sha256-<hex>.att (cosign's layout)");
  auto flags = std::make_shared<AttestFlags>();
  sub->add_option("--key", flags->key, "Private key file (cosign encrypted, or unencrypted PEM)")
      ->required();
  sub->add_option("--predicate", flags->predicate, "Predicate file, or - for standard input")
      ->required();
  sub->add_option("--type", flags->type,
                  "Predicate type: custom, slsaprovenance, slsaprovenance02, slsaprovenance1, "
                  "spdx, spdxjson, cyclonedx, link, vuln, openvex, or a URI")
      ->capture_default_str();
  sub->add_option("--signature-digest-algorithm", flags->hash, "sha224, sha256, sha384, sha512")
      ->capture_default_str();
  AddRegistryFlags(sub, &flags->registry);
  sub->add_option("image", flags->image, "Image reference (tag or digest)")->required();
  sub->callback([flags, exit_code] {
    auto hash = ParseHash(flags->hash);
    if (!hash.ok()) return void(*exit_code = Fail(hash.status()));
    auto uri = verifier::ResolvePredicateType(flags->type);
    if (!uri.ok()) return void(*exit_code = Fail(uri.status()));
    auto ref = oci::Reference::Parse(flags->image);
    if (!ref.ok()) return void(*exit_code = Fail(ref.status()));
    auto repository = RepositoryFromEnv();
    if (!repository.ok()) return void(*exit_code = Fail(repository.status()));
    if (flags->predicate == "-" && crypto::PasswordReadsStdin()) {
      return void(*exit_code = Fail(
                      "the predicate and the key password cannot both come from standard input: "
                      "set COSIGN_PASSWORD"));
    }
    auto predicate = ReadFileOrStdin(flags->predicate, kMaxPredicateBytes);
    if (!predicate.ok()) return void(*exit_code = Fail(predicate.status()));
    auto key = crypto::LoadPrivateKeyFile(flags->key, Password());
    if (!key.ok()) return void(*exit_code = Fail(key.status()));
    auto client = NewClient(flags->registry);
    if (!client.ok()) return void(*exit_code = Fail(client.status()));
    storage::AttestImageOptions options;
    options.type = flags->type;
    options.hash = *hash;
    options.storage.repository = *repository;
    auto attested = storage::AttestImage(**client, *key, *ref, *predicate, options);
    if (!attested.ok()) return void(*exit_code = Fail(attested.status()));
    std::fprintf(stderr, "Pushing attestation to: %s\n", attested->destination.String().c_str());
    if (!attested->stored) {
      std::fprintf(stderr,
                   "An equivalent attestation by this key is already there: nothing added\n");
    }
    *exit_code = kExitOk;
  });
}

struct VerifyFlags {
  std::string key;
  bool insecure_ignore_tlog = false;
  std::vector<std::string> annotations;
  std::string output = "json";
  std::string type = "custom";
  std::string hash = "sha256";
  std::string image;
  RegistryFlags registry;
};

void AddVerifyFlags(CLI::App* sub, VerifyFlags* flags) {
  sub->add_option("--key", flags->key, "Public key file (PEM)")->required();
  sub->add_flag("--insecure-ignore-tlog", flags->insecure_ignore_tlog,
                "Verify without a transparency log (required: hallmark has no Rekor support)");
  sub->add_option("--signature-digest-algorithm", flags->hash, "sha224, sha256, sha384, sha512")
      ->capture_default_str();
  AddRegistryFlags(sub, &flags->registry);
  sub->add_option("image", flags->image, "Image reference (tag or digest)")->required();
}

// Shared set-up of both verify verbs; returns false (with *exit_code set) on failure.
struct VerifySetup {
  std::vector<crypto::PublicKey> keys;
  oci::Reference image;
  std::unique_ptr<oci::RegistryClient> client;
  verifier::VerifyImageOptions options;
};

std::optional<VerifySetup> PrepareVerify(const VerifyFlags& flags, const char* warning,
                                         int* exit_code) {
  if (!flags.insecure_ignore_tlog) {
    *exit_code = Fail(kNoTlog);
    return std::nullopt;
  }
  std::fprintf(stderr, "%s\n", warning);
  auto key = crypto::LoadPublicKeyFile(flags.key);
  if (!key.ok()) {
    *exit_code = Fail(absl::StrCat("loading public key: ", key.status().message()));
    return std::nullopt;
  }
  auto hash = ParseHash(flags.hash);
  auto ref = oci::Reference::Parse(flags.image);
  auto repository = RepositoryFromEnv();
  auto annotations = ParseAnnotations(flags.annotations);
  for (const absl::Status& s :
       {hash.status(), ref.status(), repository.status(), annotations.status()}) {
    if (!s.ok()) {
      *exit_code = Fail(s);
      return std::nullopt;
    }
  }
  auto client = NewClient(flags.registry);
  if (!client.ok()) {
    *exit_code = Fail(client.status());
    return std::nullopt;
  }
  VerifySetup setup{{*key}, *ref, *std::move(client), {}};
  setup.options.check.hash = *hash;
  setup.options.check.annotations = *annotations;
  setup.options.fetch.repository = *repository;
  return setup;
}

void RegisterVerify(CLI::App& app, int* exit_code) {
  CLI::App* sub = app.add_subcommand(
      "verify",
      "Verify an image's signatures with a public key, like cosign verify (exit codes: "
      "10 no signatures found, 11 image tag not found, 12 no matching signatures)");
  auto flags = std::make_shared<VerifyFlags>();
  AddVerifyFlags(sub, flags.get());
  sub->add_option("-a,--annotations", flags->annotations,
                  "key=value that every accepted signature's payload must carry (repeatable)");
  sub->add_option("-o,--output", flags->output, "json (an array of payloads) or text")
      ->check(CLI::IsMember({"json", "text"}))
      ->capture_default_str();
  sub->callback([flags, exit_code] {
    std::optional<VerifySetup> setup = PrepareVerify(*flags, kTlogWarningSignature, exit_code);
    if (!setup.has_value()) return;
    auto verified =
        verifier::VerifyImage(*setup->client, setup->image, setup->keys, setup->options);
    if (!verified.ok()) {
      return void(*exit_code = Fail(verified.status(), VerifyExitCode(verified.status())));
    }
    std::fprintf(stderr, "\nVerification for %s --\n", DisplayName(setup->image).c_str());
    std::fprintf(stderr, "The following checks were performed on each of these signatures:\n");
    if (!setup->options.check.annotations.empty()) {
      std::fprintf(stderr, "  - The specified annotations were verified.\n");
    }
    std::fprintf(stderr, "  - The cosign claims were validated\n");
    std::fprintf(stderr, "  - The signatures were verified against the specified public key\n");
    if (flags->output == "text") {
      for (const verifier::VerifiedSignature& s : verified->signatures) {
        std::fwrite(s.payload.data(), 1, s.payload.size(), stdout);
        std::fputc('\n', stdout);
      }
    } else {
      std::string out = verifier::CosignVerifyOutput(verified->signatures);
      std::fprintf(stdout, "\n%s\n", out.c_str());
    }
    *exit_code = kExitOk;
  });
}

void RegisterVerifyAttestation(CLI::App& app, int* exit_code) {
  CLI::App* sub = app.add_subcommand(
      "verify-attestation",
      "Verify an image's attestations of one predicate type with a public key, like cosign "
      "verify-attestation; prints each verified DSSE envelope");
  auto flags = std::make_shared<VerifyFlags>();
  AddVerifyFlags(sub, flags.get());
  sub->add_option("--type", flags->type,
                  "Predicate type: custom, slsaprovenance, slsaprovenance02, slsaprovenance1, "
                  "spdx, spdxjson, cyclonedx, link, vuln, openvex, or a URI")
      ->capture_default_str();
  sub->callback([flags, exit_code] {
    std::optional<VerifySetup> setup = PrepareVerify(*flags, kTlogWarningAttestation, exit_code);
    if (!setup.has_value()) return;
    auto uri = verifier::ResolvePredicateType(flags->type);
    if (!uri.ok()) return void(*exit_code = Fail(uri.status()));
    auto verified = verifier::VerifyImageAttestationsOf(*setup->client, setup->image, setup->keys,
                                                        *uri, flags->type, setup->options);
    // cosign maps none of the attestation errors to its special exit codes.
    if (!verified.ok()) return void(*exit_code = Fail(verified.status()));
    std::fprintf(stderr, "\nVerification for %s --\n", DisplayName(setup->image).c_str());
    std::fprintf(stderr, "The following checks were performed on each of these signatures:\n");
    std::fprintf(stderr, "  - The cosign claims were validated\n");
    std::fprintf(stderr, "  - The signatures were verified against the specified public key\n");
    for (const verifier::VerifiedAttestation& a : verified->attestations) {
      std::fwrite(a.envelope.data(), 1, a.envelope.size(), stdout);
      std::fputc('\n', stdout);
    }
    *exit_code = kExitOk;
  });
}

}  // namespace

void RegisterImageSigning(CLI::App& app, int* exit_code) {
  RegisterSign(app, exit_code);
  RegisterAttest(app, exit_code);
  RegisterVerify(app, exit_code);
  RegisterVerifyAttestation(app, exit_code);
}

}  // namespace hallmark::cmd
