// File: base/ssl_ptr.h
//
// Owner types for OpenSSL handles (STYLE.md rule 4): every OpenSSL object we hold lives in an
// SslPtr<T>, so no code outside //base calls a *_free function.
//
//   SslPtr<EVP_PKEY> key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
//   if (key == nullptr) return SslError("reading public key");
//
// OpenSSL naming: `get0` returns a borrowed pointer (do NOT wrap it), `get1`/`new`/`dup` return an
// owned one (wrap it), `set0` takes ownership on success (release() only after success), `set1`
// copies.
#ifndef HALLMARK_BASE_SSL_PTR_H_
#define HALLMARK_BASE_SSL_PTR_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "openssl/bio.h"
#include "openssl/bn.h"
#include "openssl/ec.h"
#include "openssl/ecdsa.h"
#include "openssl/evp.h"
#include "openssl/kdf.h"
#include "openssl/ssl.h"
#include "openssl/x509.h"
#include "openssl/x509v3.h"

namespace hallmark {
namespace internal {

template <typename T>
struct SslDeleter;

#define HALLMARK_SSL_DELETER(type, free_fn) \
  template <>                               \
  struct SslDeleter<type> {                 \
    void operator()(type* p) const { free_fn(p); } \
  }

HALLMARK_SSL_DELETER(BIO, BIO_free_all);
HALLMARK_SSL_DELETER(BIGNUM, BN_clear_free);
HALLMARK_SSL_DELETER(BN_CTX, BN_CTX_free);
HALLMARK_SSL_DELETER(ECDSA_SIG, ECDSA_SIG_free);
HALLMARK_SSL_DELETER(EVP_CIPHER_CTX, EVP_CIPHER_CTX_free);
HALLMARK_SSL_DELETER(EVP_MD_CTX, EVP_MD_CTX_free);
HALLMARK_SSL_DELETER(EVP_PKEY, EVP_PKEY_free);
HALLMARK_SSL_DELETER(EVP_PKEY_CTX, EVP_PKEY_CTX_free);
HALLMARK_SSL_DELETER(EVP_KDF, EVP_KDF_free);
HALLMARK_SSL_DELETER(EVP_KDF_CTX, EVP_KDF_CTX_free);
HALLMARK_SSL_DELETER(PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free);
HALLMARK_SSL_DELETER(X509, X509_free);
HALLMARK_SSL_DELETER(X509_NAME, X509_NAME_free);
HALLMARK_SSL_DELETER(X509_EXTENSION, X509_EXTENSION_free);
HALLMARK_SSL_DELETER(X509_STORE, X509_STORE_free);
HALLMARK_SSL_DELETER(X509_STORE_CTX, X509_STORE_CTX_free);
HALLMARK_SSL_DELETER(X509_REQ, X509_REQ_free);
// ASN1_INTEGER, ASN1_TIME, ASN1_OCTET_STRING... are all ASN1_STRING.
HALLMARK_SSL_DELETER(ASN1_STRING, ASN1_STRING_free);
HALLMARK_SSL_DELETER(SSL_CTX, SSL_CTX_free);
HALLMARK_SSL_DELETER(SSL, SSL_free);

#undef HALLMARK_SSL_DELETER

// STACK_OF(X509) owning its certificates.
struct X509StackDeleter {
  void operator()(STACK_OF(X509) * p) const { sk_X509_pop_free(p, X509_free); }
};

}  // namespace internal

// SslPtr<T>: std::unique_ptr with the matching OpenSSL free function.
template <typename T>
using SslPtr = std::unique_ptr<T, internal::SslDeleter<T>>;

// X509StackPtr: an owned STACK_OF(X509) whose elements are freed with it.
using X509StackPtr = std::unique_ptr<STACK_OF(X509), internal::X509StackDeleter>;

// SslError returns an absl::Status (code `code`, default kInternal) whose message is `what`
// followed by the reasons on OpenSSL's thread-local error queue, and empties that queue. Call it
// at the failing call so a later failure does not report stale reasons. The queue never holds key
// material, so the message is safe to log.
absl::Status SslError(absl::string_view what,
                      absl::StatusCode code = absl::StatusCode::kInternal);

// ClearSslErrors empties OpenSSL's thread-local error queue (after an expected failure).
void ClearSslErrors();

// NewMemBio returns a read-only memory BIO over `data`; `data` must outlive the BIO.
SslPtr<BIO> NewMemBio(absl::string_view data);

}  // namespace hallmark

#endif  // HALLMARK_BASE_SSL_PTR_H_
