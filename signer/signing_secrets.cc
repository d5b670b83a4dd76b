#include "signer/signing_secrets.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "crypto/cosign_key.h"
#include "crypto/digest.h"
#include "crypto/private_key.h"
#include "signer/key_signer.h"

namespace hallmark::signer {
namespace {

// Find: the non-empty file `name`, or nullptr.
const SecretData* Find(const SecretFiles& files, absl::string_view name) {
  auto it = files.find(std::string(name));
  if (it == files.end() || it->second.empty()) return nullptr;
  return &it->second;
}

absl::Status Prefixed(absl::string_view file, const absl::Status& status) {
  return absl::FailedPreconditionError(absl::StrCat(file, ": ", status.message()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Signer>> LoadSigner(const SecretFiles& files) {
  if (const SecretData* pem = Find(files, kX509PemFile); pem != nullptr) {
    if (pem->size() > kMaxSecretFileBytes) {
      return absl::FailedPreconditionError(
          absl::StrCat(kX509PemFile, ": larger than ", kMaxSecretFileBytes, " bytes"));
    }
    absl::StatusOr<crypto::PrivateKey> key = crypto::PrivateKey::ParsePem(pem->InsecureView());
    if (!key.ok()) return Prefixed(kX509PemFile, key.status());
    absl::StatusOr<std::unique_ptr<KeySigner>> signer =
        KeySigner::New(*std::move(key), std::string(kX509PemFile));
    if (!signer.ok()) return signer.status();
    return std::unique_ptr<Signer>(*std::move(signer));
  }
  if (const SecretData* pem = Find(files, kCosignKeyFile); pem != nullptr) {
    auto password = files.find(std::string(kCosignPasswordFile));
    if (password == files.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat(kCosignKeyFile, " is present but ", kCosignPasswordFile, " is missing"));
    }
    absl::StatusOr<crypto::PrivateKey> key =
        crypto::LoadCosignKey(pem->InsecureView(), password->second);
    if (!key.ok()) return Prefixed(kCosignKeyFile, key.status());
    absl::StatusOr<std::unique_ptr<KeySigner>> signer =
        KeySigner::New(*std::move(key), std::string(kCosignKeyFile));
    if (!signer.ok()) return signer.status();
    return std::unique_ptr<Signer>(*std::move(signer));
  }
  return absl::FailedPreconditionError(absl::StrCat("no valid private key found, looked for: [",
                                                    kX509PemFile, ", ", kCosignKeyFile, "]"));
}

std::string SecretVersion(const SecretFiles& files) {
  // Length-prefixed fields, so ("ab","c") and ("a","bc") hash differently. The buffer holds key
  // bytes: it is SecretData, wiped when freed.
  SecretData buffer;
  auto append = [&buffer](absl::string_view bytes) {
    size_t at = buffer.size();
    buffer.resize(at + bytes.size());
    for (size_t i = 0; i < bytes.size(); ++i) buffer.data()[at + i] = bytes[i];
  };
  for (absl::string_view name : {kX509PemFile, kCosignKeyFile, kCosignPasswordFile}) {
    auto it = files.find(std::string(name));
    if (it == files.end()) {
      append(absl::StrCat(name, ":absent;"));
      continue;
    }
    append(absl::StrCat(name, ":", it->second.size(), ":"));
    append(it->second.InsecureView());
    append(";");
  }
  return crypto::Sha256Hex(buffer.InsecureView());
}

}  // namespace hallmark::signer
