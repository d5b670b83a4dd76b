// File: cmd/cli.h
//
// The `hallmark` command line. Each group of verbs lives in its own file and adds its
// subcommands to the CLI11 app through a Register* function; a subcommand's callback only parses
// flags, calls a library entry point, prints, and stores the process exit code in `*exit_code`.
#ifndef HALLMARK_CMD_CLI_H_
#define HALLMARK_CMD_CLI_H_

#include "CLI/CLI.hpp"

namespace hallmark::cmd {

// Exit codes shared by the verbs (cosign's, see shared/reference/cosign-kyverno.md §6).
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitNoSignatures = 10;
inline constexpr int kExitImageTagNotFound = 11;
inline constexpr int kExitNoMatchingSignatures = 12;

// version
void RegisterVersion(CLI::App& app, int* exit_code);

// generate-key-pair, import-key-pair, public-key, sign-blob, verify-blob (cmd/keys_cmd.cc)
void RegisterKeys(CLI::App& app, int* exit_code);

// provenance (cmd/provenance_cmd.cc)
void RegisterProvenance(CLI::App& app, int* exit_code);

// sign, attest, verify, verify-attestation (cmd/oci_cmd.cc)
void RegisterImageSigning(CLI::App& app, int* exit_code);

// policy apply (cmd/policy_cmd.cc)
void RegisterPolicy(CLI::App& app, int* exit_code);

// webhook (cmd/webhook_cmd.cc)
void RegisterWebhook(CLI::App& app, int* exit_code);

// agent (cmd/agent_cmd.cc)
void RegisterAgent(CLI::App& app, int* exit_code);

}  // namespace hallmark::cmd

#endif  // HALLMARK_CMD_CLI_H_
