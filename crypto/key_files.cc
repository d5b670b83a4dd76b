#include "crypto/key_files.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "crypto/password.h"
#include "openssl/crypto.h"

namespace hallmark::crypto {
namespace {

// A file's contents in a string that is wiped when it goes (for unencrypted private keys).
class WipedString {
 public:
  explicit WipedString(std::string s) : s_(std::move(s)) {}
  ~WipedString() { OPENSSL_cleanse(s_.data(), s_.size()); }
  WipedString(const WipedString&) = delete;
  WipedString& operator=(const WipedString&) = delete;
  const std::string& get() const { return s_; }

 private:
  std::string s_;
};

std::string WithoutWhitespace(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') out.push_back(c);
  }
  return out;
}

}  // namespace

absl::StatusOr<KeyPairPaths> WriteKeyPair(const PrivateKey& key, const SecretData& password,
                                          absl::string_view prefix, CosignKeyFormat format,
                                          bool overwrite) {
  KeyPairPaths paths{absl::StrCat(prefix, ".key"), absl::StrCat(prefix, ".pub")};
  if (!overwrite) {
    for (const std::string& p : {paths.private_key, paths.public_key}) {
      if (FileExists(p)) {
        return absl::AlreadyExistsError(
            absl::StrCat("file ", p, " already exists (remove it, or pass --yes to overwrite)"));
      }
    }
  }
  HM_ASSIGN_OR_RETURN(std::string encrypted, EncryptCosignKey(key, password, format));
  HM_RETURN_IF_ERROR(WriteFileAtomic(paths.private_key, encrypted, 0600));
  HM_RETURN_IF_ERROR(WriteFileAtomic(paths.public_key, key.public_key().Pem(), 0644));
  return paths;
}

absl::StatusOr<PrivateKey> LoadPrivateKeyFile(absl::string_view path, const PasswordFn& password) {
  HM_ASSIGN_OR_RETURN(std::string text, ReadFile(path, kMaxKeyFileBytes));
  WipedString pem(std::move(text));
  if (IsCosignKeyPem(pem.get())) {
    HM_ASSIGN_OR_RETURN(SecretData pw, password());
    return LoadCosignKey(pem.get(), pw);
  }
  return PrivateKey::ParsePem(pem.get());
}

absl::StatusOr<PrivateKey> ImportPrivateKeyFile(absl::string_view path) {
  HM_ASSIGN_OR_RETURN(std::string text, ReadFile(path, kMaxKeyFileBytes));
  WipedString pem(std::move(text));
  return PrivateKey::ParsePem(pem.get());
}

absl::StatusOr<PublicKey> LoadPublicKeyFile(absl::string_view path) {
  HM_ASSIGN_OR_RETURN(std::string pem, ReadFile(path, kMaxKeyFileBytes));
  return PublicKey::ParsePem(pem);
}

absl::StatusOr<std::string> ReadSignatureArg(absl::string_view arg) {
  if (arg.empty()) return absl::InvalidArgumentError("empty --signature");
  if (FileExists(arg)) {
    HM_ASSIGN_OR_RETURN(std::string contents, ReadFile(arg, kMaxKeyFileBytes));
    absl::StatusOr<std::string> decoded = Base64Decode(WithoutWhitespace(contents));
    if (decoded.ok() && !decoded->empty()) return decoded;
    if (contents.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("signature file ", arg, " is empty"));
    }
    return contents;  // raw signature bytes (e.g. DER)
  }
  absl::StatusOr<std::string> decoded = Base64Decode(WithoutWhitespace(arg));
  if (!decoded.ok() || decoded->empty()) {
    return absl::InvalidArgumentError(
        "--signature is neither an existing file nor base64 signature text");
  }
  return decoded;
}

absl::StatusOr<std::string> SignBlob(absl::string_view key_path, absl::string_view blob_path,
                                     const PasswordFn& password, HashAlgorithm hash) {
  bool password_asked = false;
  PasswordFn tracked = [&]() {
    password_asked = true;
    return password();
  };
  // The key first: its password may come from standard input, which the blob may also want.
  HM_ASSIGN_OR_RETURN(PrivateKey key, LoadPrivateKeyFile(key_path, tracked));
  if (blob_path == "-" && password_asked && PasswordReadsStdin()) {
    return absl::InvalidArgumentError(
        "cannot read both the password and the blob from standard input; set COSIGN_PASSWORD "
        "or pass the blob as a file");
  }
  HM_ASSIGN_OR_RETURN(std::string blob, ReadFileOrStdin(blob_path, kMaxBlobBytes));
  HM_ASSIGN_OR_RETURN(std::string sig, key.Sign(blob, hash));
  return Base64Encode(sig);
}

absl::Status VerifyBlob(absl::string_view key_path, absl::string_view signature_arg,
                        absl::string_view blob_path, HashAlgorithm hash) {
  HM_ASSIGN_OR_RETURN(PublicKey key, LoadPublicKeyFile(key_path));
  HM_ASSIGN_OR_RETURN(std::string sig, ReadSignatureArg(signature_arg));
  HM_ASSIGN_OR_RETURN(std::string blob, ReadFileOrStdin(blob_path, kMaxBlobBytes));
  return key.Verify(blob, sig, hash);
}

}  // namespace hallmark::crypto
