// File: verifier/policy/verification_cache.h
//
// VerificationCache<T>: Kyverno's image verification cache (pkg/imageverifycache), plus what it
// lacks (perf-reliability.md §2):
//  - keyed by the caller (the engine uses policy identity+version, rule, verifyImages entry and
//    normalised image), so a policy edit never reuses results of its previous version;
//  - TTL (default 60 min) and a size bound (default 1000 entries, least recently used evicted);
//  - only results the caller says are storable (successes) are kept;
//  - concurrent misses for one key run `compute` ONCE: the other callers wait for that run and
//    share its result, success or failure (singleflight; Kyverno#16997 verifies N times).
//
//   bool hit = false;
//   ImageResult r = cache.GetOrCompute(key, [&] { return VerifyNow(); },
//                                      [](const ImageResult& r) { return r.passed; }, &hit);
//
// Thread-safe. `compute` runs on the calling thread without the lock held. A waiter blocks until
// the run ends (the run is bounded by the registry client's deadlines); callers that must answer
// sooner run the whole evaluation on a worker and stop waiting for it (verifier/webhook).
#ifndef HALLMARK_VERIFIER_POLICY_VERIFICATION_CACHE_H_
#define HALLMARK_VERIFIER_POLICY_VERIFICATION_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"

namespace hallmark::verifier::policy {

struct CacheOptions {
  absl::Duration ttl = absl::Minutes(60);
  size_t max_entries = 1000;
  Clock* clock = Clock::RealClock();  // not owned
};

struct CacheStats {
  uint64_t hits = 0;       // answered from a stored entry
  uint64_t misses = 0;     // ran compute
  uint64_t coalesced = 0;  // waited for another caller's run of the same key
  uint64_t stores = 0;
  uint64_t evictions = 0;  // by size (expired entries are dropped silently)
  size_t size = 0;
};

template <typename T>
class VerificationCache {
 public:
  // New: kInvalidArgument for a non-positive TTL or a zero size.
  static absl::StatusOr<std::unique_ptr<VerificationCache>> New(CacheOptions options) {
    if (options.ttl <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError("cache TTL must be positive");
    }
    if (options.max_entries == 0) return absl::InvalidArgumentError("cache size must be positive");
    if (options.clock == nullptr) options.clock = Clock::RealClock();
    return std::unique_ptr<VerificationCache>(new VerificationCache(options));
  }

  // GetOrCompute: see the file comment. `*hit` (optional) is true when a stored entry answered.
  T GetOrCompute(const std::string& key, const std::function<T()>& compute,
                 const std::function<bool(const T&)>& storable, bool* hit = nullptr) {
    std::shared_ptr<Flight> flight;
    bool leader = false;
    {
      absl::MutexLock lock(&mu_);
      auto it = index_.find(key);
      if (it != index_.end()) {
        if (options_.clock->Now() < it->second->expires) {
          lru_.splice(lru_.begin(), lru_, it->second);
          ++stats_.hits;
          if (hit != nullptr) *hit = true;
          return it->second->value;
        }
        lru_.erase(it->second);
        index_.erase(it);
      }
      auto f = flights_.find(key);
      if (f != flights_.end()) {
        flight = f->second;
        ++stats_.coalesced;
      } else {
        flight = std::make_shared<Flight>();
        flights_[key] = flight;
        leader = true;
        ++stats_.misses;
      }
    }
    if (hit != nullptr) *hit = false;
    if (!leader) {
      absl::MutexLock lock(&flight->mu);
      flight->mu.Await(absl::Condition(&flight->done));
      return *flight->result;
    }
    T result = compute();
    bool store = storable(result);
    {
      absl::MutexLock lock(&mu_);
      flights_.erase(key);
      if (store && generation_ok(key)) {
        auto it = index_.find(key);
        if (it != index_.end()) {
          lru_.erase(it->second);
          index_.erase(it);
        }
        lru_.push_front(Entry{key, result, options_.clock->Now() + options_.ttl});
        index_[key] = lru_.begin();
        ++stats_.stores;
        while (lru_.size() > options_.max_entries) {
          index_.erase(lru_.back().key);
          lru_.pop_back();
          ++stats_.evictions;
        }
      }
    }
    {
      absl::MutexLock lock(&flight->mu);
      flight->result = result;
      flight->done = true;
    }
    return result;
  }

  // RetainPrefixes: drops every stored entry whose key starts with none of `prefixes` (the
  // engine passes the versions of the policies still loaded, so a policy change invalidates).
  // Runs in progress for dropped prefixes do not store their result.
  void RetainPrefixes(const std::set<std::string>& prefixes) {
    absl::MutexLock lock(&mu_);
    retained_ = prefixes;
    for (auto it = lru_.begin(); it != lru_.end();) {
      if (!KeptLocked(it->key)) {
        index_.erase(it->key);
        it = lru_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void Clear() {
    absl::MutexLock lock(&mu_);
    lru_.clear();
    index_.clear();
  }

  CacheStats Stats() const {
    absl::MutexLock lock(&mu_);
    CacheStats s = stats_;
    s.size = lru_.size();
    return s;
  }

 private:
  struct Entry {
    std::string key;
    T value;
    absl::Time expires;
  };
  struct Flight {
    absl::Mutex mu;
    bool done ABSL_GUARDED_BY(mu) = false;
    std::optional<T> result ABSL_GUARDED_BY(mu);
  };

  explicit VerificationCache(CacheOptions options) : options_(options) {}

  bool KeptLocked(const std::string& key) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!retained_.has_value()) return true;
    for (const std::string& p : *retained_) {
      if (absl::StartsWith(key, p)) return true;
    }
    return false;
  }
  bool generation_ok(const std::string& key) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return KeptLocked(key);
  }

  const CacheOptions options_;
  mutable absl::Mutex mu_;
  std::list<Entry> lru_ ABSL_GUARDED_BY(mu_);
  std::unordered_map<std::string, typename std::list<Entry>::iterator> index_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<Flight>> flights_ ABSL_GUARDED_BY(mu_);
  std::optional<std::set<std::string>> retained_ ABSL_GUARDED_BY(mu_);
  CacheStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hallmark::verifier::policy

#endif  // HALLMARK_VERIFIER_POLICY_VERIFICATION_CACHE_H_
