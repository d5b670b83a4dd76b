// File: base/curl_ptr.h
//
// Owner types for libcurl handles (STYLE.md rule 4).
#ifndef HALLMARK_BASE_CURL_PTR_H_
#define HALLMARK_BASE_CURL_PTR_H_

#include <memory>

#include "curl/curl.h"

namespace hallmark {
namespace internal {
struct CurlEasyDeleter {
  void operator()(CURL* p) const { curl_easy_cleanup(p); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* p) const { curl_slist_free_all(p); }
};
struct CurlUrlDeleter {
  void operator()(CURLU* p) const { curl_url_cleanup(p); }
};
struct CurlFreeDeleter {
  void operator()(char* p) const { curl_free(p); }
};
struct CurlShareDeleter {
  void operator()(CURLSH* p) const { curl_share_cleanup(p); }
};
}  // namespace internal

// CurlPtr: an easy handle (curl_easy_init). One per worker thread; never shared concurrently.
using CurlPtr = std::unique_ptr<CURL, internal::CurlEasyDeleter>;
// CurlSlistPtr: a header list (curl_slist_append returns the new head; reset() with it).
using CurlSlistPtr = std::unique_ptr<curl_slist, internal::CurlSlistDeleter>;
// CurlUrlPtr: a URL handle (curl_url).
using CurlUrlPtr = std::unique_ptr<CURLU, internal::CurlUrlDeleter>;
// CurlStringPtr: a string curl allocated (curl_url_get, curl_easy_escape).
using CurlStringPtr = std::unique_ptr<char, internal::CurlFreeDeleter>;
// CurlSharePtr: a share handle (curl_share_init). Destroy it only after every easy handle that
// uses it.
using CurlSharePtr = std::unique_ptr<CURLSH, internal::CurlShareDeleter>;

}  // namespace hallmark

#endif  // HALLMARK_BASE_CURL_PTR_H_
