#include "tests/apiserver/tls.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "base/ssl_ptr.h"
#include "base/status_macros.h"
#include "openssl/bn.h"
#include "openssl/ec.h"
#include "openssl/err.h"
#include "openssl/pem.h"
#include "openssl/x509v3.h"

namespace hallmark::tests::apiserver {
namespace {

constexpr long kValiditySeconds = 10L * 365 * 24 * 3600;

absl::StatusOr<SslPtr<EVP_PKEY>> NewP256Key() {
  SslPtr<EVP_PKEY> key(EVP_EC_gen("P-256"));
  if (key == nullptr) return SslError("generating a P-256 key");
  return key;
}

absl::Status AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  SslPtr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (ext == nullptr || X509_add_ext(cert, ext.get(), -1) != 1) {
    return SslError(absl::StrCat("adding X.509 extension ", value));
  }
  return absl::OkStatus();
}

absl::StatusOr<SslPtr<X509>> NewCert(const char* common_name, EVP_PKEY* key, X509* issuer,
                                     EVP_PKEY* issuer_key, bool ca) {
  SslPtr<X509> cert(X509_new());
  if (cert == nullptr) return SslError("X509_new");
  X509_set_version(cert.get(), 2);
  SslPtr<BIGNUM> serial(BN_new());
  if (serial == nullptr || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return SslError("setting the serial number");
  }
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValiditySeconds);
  X509_NAME* name = X509_get_subject_name(cert.get());  // get0: owned by cert
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("hallmark"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) != 1 ||
      X509_set_pubkey(cert.get(), key) != 1) {
    return SslError("setting issuer and key");
  }
  if (ca) {
    HM_RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE"));
    HM_RETURN_IF_ERROR(
        AddExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign"));
    HM_RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_subject_key_identifier, "hash"));
  } else {
    HM_RETURN_IF_ERROR(
        AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE"));
    HM_RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_key_usage,
                                    "critical,digitalSignature,keyEncipherment"));
    HM_RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_ext_key_usage, "serverAuth"));
    HM_RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_subject_alt_name,
                                    "IP:127.0.0.1,IP:::1,DNS:localhost"));
    HM_RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_authority_key_identifier, "keyid"));
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) return SslError("signing certificate");
  return cert;
}

absl::StatusOr<std::string> CertPem(X509* cert) {
  SslPtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), cert) != 1) return SslError("PEM cert");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

absl::StatusOr<SecretData> KeyPem(EVP_PKEY* key) {
  SslPtr<BIO> bio(BIO_new(BIO_s_secmem()));
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return SslError("PEM key");
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return SecretData(absl::string_view(data, static_cast<size_t>(n)));
}

}  // namespace

absl::StatusOr<TlsFiles> EnsureSelfSignedTls(const std::string& dir) {
  TlsFiles files{dir + "/ca.crt", dir + "/tls.crt", dir + "/tls.key"};
  if (FileExists(files.ca_cert) && FileExists(files.cert) && FileExists(files.key)) return files;
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::InvalidArgumentError(absl::StrCat("cannot create --tls-self-signed directory ",
                                                   dir, ": ", std::strerror(errno)));
  }
  HM_ASSIGN_OR_RETURN(SslPtr<EVP_PKEY> ca_key, NewP256Key());
  HM_ASSIGN_OR_RETURN(SslPtr<X509> ca, NewCert("hallmark-apiserver test CA", ca_key.get(), nullptr,
                                               ca_key.get(), true));
  HM_ASSIGN_OR_RETURN(SslPtr<EVP_PKEY> key, NewP256Key());
  HM_ASSIGN_OR_RETURN(SslPtr<X509> cert,
                      NewCert("hallmark-apiserver", key.get(), ca.get(), ca_key.get(), false));
  HM_ASSIGN_OR_RETURN(std::string ca_pem, CertPem(ca.get()));
  HM_ASSIGN_OR_RETURN(std::string cert_pem, CertPem(cert.get()));
  HM_ASSIGN_OR_RETURN(SecretData key_pem, KeyPem(key.get()));
  HM_RETURN_IF_ERROR(WriteFileAtomic(files.key, key_pem.InsecureView(), 0600));
  // The chain file carries the CA too, so clients that only trust ca.crt verify it either way.
  HM_RETURN_IF_ERROR(WriteFileAtomic(files.cert, cert_pem + ca_pem, 0644));
  HM_RETURN_IF_ERROR(WriteFileAtomic(files.ca_cert, ca_pem, 0644));
  return files;
}

absl::Status ConfigureServerContext(SSL_CTX* ctx, const std::string& cert, const std::string& key,
                                    const std::string& client_ca) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1) {
    return SslError(absl::StrCat("loading --tls-cert ", cert), absl::StatusCode::kInvalidArgument);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    return SslError(absl::StrCat("loading --tls-key ", key), absl::StatusCode::kInvalidArgument);
  }
  if (!client_ca.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, client_ca.c_str(), nullptr) != 1) {
      return SslError(absl::StrCat("loading --client-ca ", client_ca),
                      absl::StatusCode::kInvalidArgument);
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(client_ca.c_str());
    if (names == nullptr) {
      return SslError(absl::StrCat("reading --client-ca ", client_ca),
                      absl::StatusCode::kInvalidArgument);
    }
    SSL_CTX_set_client_CA_list(ctx, names);  // takes ownership
    // Request, but do not require, a client certificate.
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  return absl::OkStatus();
}

ClientCertificate PeerCertificate(const SSL* ssl) {
  ClientCertificate out;
  if (ssl == nullptr) return out;
  X509* cert = SSL_get0_peer_certificate(ssl);  // get0: borrowed
  if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return out;
  out.present = true;
  X509_NAME* subject = X509_get_subject_name(cert);  // get0
  for (int i = 0; i < X509_NAME_entry_count(subject); ++i) {
    X509_NAME_ENTRY* entry = X509_NAME_get_entry(subject, i);
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry));
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(entry);
    std::string value(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                      static_cast<size_t>(ASN1_STRING_length(data)));
    if (nid == NID_commonName) out.common_name = value;
    if (nid == NID_organizationName) out.organizations.push_back(value);
  }
  return out;
}

}  // namespace hallmark::tests::apiserver
