#include "verifier/webhook/kube_sources.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "kube/resource.h"

namespace hallmark::verifier::webhook {

using nlohmann::json;

absl::StatusOr<policy::Secret> KubeSecretSource::Get(absl::string_view ns, absl::string_view name) {
  const std::string key = absl::StrCat(ns, "/", name);
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && clock_->Now() - it->second.fetched < ttl_) return it->second.secret;
  }
  HM_ASSIGN_OR_RETURN(json object, client_->Get(kube::Secrets(), ns, name));
  policy::Secret secret;
  if (object.contains("type") && object["type"].is_string())
    secret.type = object["type"].get<std::string>();
  secret.version = kube::MetaResourceVersion(object);
  if (object.contains("data") && object["data"].is_object()) {
    for (auto it = object["data"].begin(); it != object["data"].end(); ++it) {
      if (!it.value().is_string()) continue;
      absl::StatusOr<std::string> decoded = Base64Decode(it.value().get<std::string>());
      if (!decoded.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("secret ", key, ": data key ", it.key(), " is not base64"));
      }
      secret.data[it.key()] = *std::move(decoded);
    }
  }
  absl::MutexLock lock(&mu_);
  cache_[key] = Entry{secret, clock_->Now()};
  return secret;
}

const kube::Resource& KyvernoPolicies() {
  static const kube::Resource* r =
      new kube::Resource{"kyverno.io", "v1", "policies", "Policy", true};
  return *r;
}

absl::StatusOr<std::unique_ptr<KubePolicyWatcher>> KubePolicyWatcher::Start(
    kube::KubeClient* client, policy::LoadOptions options, PolicyStore* store, Metrics* metrics,
    bool namespaced_policies) {
  auto w = std::unique_ptr<KubePolicyWatcher>(new KubePolicyWatcher());
  auto make = [&](const kube::Resource& resource)
      -> absl::StatusOr<std::unique_ptr<kube::Informer<Loaded>>> {
    const std::string kind = resource.kind;
    auto project = [options, kind](const json& object) -> absl::StatusOr<Loaded> {
      Loaded l;
      json with_kind = object;
      // List items may come without apiVersion/kind; the parser wants them.
      with_kind["apiVersion"] = "kyverno.io/v1";
      with_kind["kind"] = kind;
      l.source = absl::StrCat("kube:", kind, "/", kube::MetaNamespace(object), "/",
                              kube::MetaName(object));
      absl::StatusOr<policy::Policy> p = policy::ParsePolicy(with_kind, options);
      if (p.ok()) {
        l.policy = *std::move(p);
      } else {
        l.error = std::string(p.status().message());
      }
      return l;
    };
    kube::Informer<Loaded>::Handlers h;
    auto apply = [store, metrics](const kube::Informer<Loaded>::Ptr& l) {
      if (l->policy.has_value()) {
        store->Set(l->source, {*l->policy});
        log::Info("policy loaded from the API server",
                  {{"policy", l->policy->Key()}, {"version", l->policy->version}});
      } else {
        if (metrics != nullptr) metrics->RecordPolicyError();
        log::Error(
            "policy refused: it cannot be enforced as written; a previous version, if any, stays "
            "in force",
            {{"source", l->source}, {"error", l->error}});
      }
    };
    h.on_add = apply;
    h.on_update = [apply](const kube::Informer<Loaded>::Ptr&,
                          const kube::Informer<Loaded>::Ptr& now) { apply(now); };
    h.on_delete = [store](const kube::Informer<Loaded>::Ptr& l) {
      store->Remove(l->source);
      log::Info("policy removed", {{"source", l->source}});
    };
    kube::InformerOptions o;
    o.resource = resource;
    o.name = resource.GroupResource();
    HM_ASSIGN_OR_RETURN(auto informer, kube::Informer<Loaded>::New(*client, o, project, h));
    HM_RETURN_IF_ERROR(informer->Start());
    return informer;
  };
  HM_ASSIGN_OR_RETURN(w->cluster_, make(kube::ClusterPolicies()));
  if (namespaced_policies) {
    HM_ASSIGN_OR_RETURN(w->namespaced_, make(KyvernoPolicies()));
  }
  return w;
}

bool KubePolicyWatcher::WaitForSync(absl::Duration timeout) const {
  absl::Time deadline = absl::Now() + timeout;
  if (cluster_ != nullptr && !cluster_->WaitForSync(deadline - absl::Now())) return false;
  if (namespaced_ != nullptr && !namespaced_->WaitForSync(deadline - absl::Now())) return false;
  return true;
}

void KubePolicyWatcher::Stop() {
  if (cluster_ != nullptr) cluster_->Stop();
  if (namespaced_ != nullptr) namespaced_->Stop();
}

}  // namespace hallmark::verifier::webhook
