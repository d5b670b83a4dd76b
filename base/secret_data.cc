#include "base/secret_data.h"

#include "openssl/crypto.h"

namespace hallmark {
namespace internal {

void SecureWipe(void* p, size_t n) { OPENSSL_cleanse(p, n); }

}  // namespace internal

bool operator==(const SecretData& a, const SecretData& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace hallmark
