// File: base/secret_data.h
//
// SecretData holds key material and passwords: the bytes are wiped (OPENSSL_cleanse) whenever the
// buffer is freed or reallocated, it has no operator<< and no implicit conversion to a string, and
// the only way to read it as text is InsecureView(), so a grep for "Insecure" finds every reader.
//
//   SecretData password(getenv("COSIGN_PASSWORD"));
//   HM_ASSIGN_OR_RETURN(auto key, DecryptCosignKey(pem, password));
//
// Copyable (a copy is another wiped buffer) and movable.
#ifndef HALLMARK_BASE_SECRET_DATA_H_
#define HALLMARK_BASE_SECRET_DATA_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"

namespace hallmark {
namespace internal {

void SecureWipe(void* p, size_t n);

template <typename T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() = default;
  template <typename U>
  WipingAllocator(const WipingAllocator<U>&) {}  // NOLINT(runtime/explicit)
  T* allocate(size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, size_t n) {
    SecureWipe(p, n * sizeof(T));
    std::allocator<T>().deallocate(p, n);
  }
  template <typename U>
  bool operator==(const WipingAllocator<U>&) const {
    return true;
  }
  template <typename U>
  bool operator!=(const WipingAllocator<U>&) const {
    return false;
  }
};

}  // namespace internal

class SecretData {
 public:
  SecretData() = default;
  // Copies `bytes`; wipe the source yourself if it was secret.
  explicit SecretData(absl::string_view bytes) : bytes_(bytes.begin(), bytes.end()) {}
  explicit SecretData(size_t size) : bytes_(size) {}

  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  const uint8_t* data() const { return bytes_.data(); }
  uint8_t* data() { return bytes_.data(); }
  void resize(size_t n) { bytes_.resize(n); }

  // InsecureView exposes the bytes as text. The view dies with (or on any resize of) this object.
  // WARNING: never log it, put it in an error message or copy it into a plain std::string.
  absl::string_view InsecureView() const {
    return absl::string_view(reinterpret_cast<const char*>(bytes_.data()), bytes_.size());
  }

  // Constant-time comparison.
  friend bool operator==(const SecretData& a, const SecretData& b);
  friend bool operator!=(const SecretData& a, const SecretData& b) { return !(a == b); }

 private:
  std::vector<uint8_t, internal::WipingAllocator<uint8_t>> bytes_;
};

}  // namespace hallmark

#endif  // HALLMARK_BASE_SECRET_DATA_H_
