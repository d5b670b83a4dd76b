#include "tests/apiserver/builtin_catalog.h"

#include <cstdio>
#include <cstdlib>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/apiserver/json_util.h"

namespace hallmark::tests::apiserver {
namespace {

// Schema notation: package -> type -> field -> "TYPE [patch=STRATEGY] [key=MERGE_KEY]".
// TYPE is string, boolean, int32, int64, number, byte (base64), date-time, int-or-string,
// quantity, object (free-form), any, []TYPE, map[TYPE], or the name of another type (same
// package first, then any package). "@preserve: true" keeps unknown fields of that type.
// Field lists and patch metadata follow k8s.io/api v0.32 (Kubernetes 1.32).
constexpr char kSchemaNotation[] = R"yaml(
io.k8s.apimachinery.pkg.apis.meta.v1:
  ObjectMeta:
    name: string
    generateName: string
    namespace: string
    selfLink: string
    uid: string
    resourceVersion: string
    generation: int64
    creationTimestamp: date-time
    deletionTimestamp: date-time
    deletionGracePeriodSeconds: int64
    labels: map[string]
    annotations: map[string]
    ownerReferences: "[]OwnerReference patch=merge key=uid"
    finalizers: "[]string patch=merge"
    managedFields: "[]ManagedFieldsEntry"
  OwnerReference:
    apiVersion: string
    kind: string
    name: string
    uid: string
    controller: boolean
    blockOwnerDeletion: boolean
  ManagedFieldsEntry:
    manager: string
    operation: string
    apiVersion: string
    time: date-time
    fieldsType: string
    fieldsV1: object
    subresource: string
  LabelSelector:
    matchLabels: map[string]
    matchExpressions: "[]LabelSelectorRequirement"
  LabelSelectorRequirement:
    key: string
    operator: string
    values: "[]string"
  Condition:
    type: string
    status: string
    observedGeneration: int64
    lastTransitionTime: date-time
    reason: string
    message: string

io.k8s.api.core.v1:
  Namespace:
    metadata: ObjectMeta
    spec: NamespaceSpec
    status: NamespaceStatus
  NamespaceSpec:
    finalizers: "[]string"
  NamespaceStatus:
    phase: string
    conditions: "[]object patch=merge key=type"
  ConfigMap:
    metadata: ObjectMeta
    immutable: boolean
    data: map[string]
    binaryData: map[byte]
  Secret:
    metadata: ObjectMeta
    immutable: boolean
    data: map[byte]
    stringData: map[string]
    type: string
  ServiceAccount:
    metadata: ObjectMeta
    secrets: "[]ObjectReference patch=merge key=name"
    imagePullSecrets: "[]LocalObjectReference"
    automountServiceAccountToken: boolean
  ObjectReference:
    kind: string
    namespace: string
    name: string
    uid: string
    apiVersion: string
    resourceVersion: string
    fieldPath: string
  LocalObjectReference:
    name: string
  Pod:
    metadata: ObjectMeta
    spec: PodSpec
    status: object
  PodTemplateSpec:
    metadata: ObjectMeta
    spec: PodSpec
  PodSpec:
    volumes: "[]Volume patch=merge,retainKeys key=name"
    initContainers: "[]Container patch=merge key=name"
    containers: "[]Container patch=merge key=name"
    ephemeralContainers: "[]object patch=merge key=name"
    restartPolicy: string
    terminationGracePeriodSeconds: int64
    activeDeadlineSeconds: int64
    dnsPolicy: string
    nodeSelector: map[string]
    serviceAccountName: string
    serviceAccount: string
    automountServiceAccountToken: boolean
    nodeName: string
    hostNetwork: boolean
    hostPID: boolean
    hostIPC: boolean
    shareProcessNamespace: boolean
    securityContext: object
    imagePullSecrets: "[]LocalObjectReference patch=merge key=name"
    hostname: string
    subdomain: string
    affinity: object
    schedulerName: string
    tolerations: "[]object"
    hostAliases: "[]object patch=merge key=ip"
    priorityClassName: string
    priority: int32
    dnsConfig: object
    readinessGates: "[]object"
    runtimeClassName: string
    enableServiceLinks: boolean
    preemptionPolicy: string
    overhead: map[quantity]
    topologySpreadConstraints: "[]object patch=merge key=topologyKey"
    setHostnameAsFQDN: boolean
    os: object
    hostUsers: boolean
    schedulingGates: "[]object patch=merge key=name"
    resourceClaims: "[]object patch=merge,retainKeys key=name"
    resources: ResourceRequirements
  Container:
    name: string
    image: string
    command: "[]string"
    args: "[]string"
    workingDir: string
    ports: "[]ContainerPort patch=merge key=containerPort"
    envFrom: "[]EnvFromSource"
    env: "[]EnvVar patch=merge key=name"
    resources: ResourceRequirements
    resizePolicy: "[]object"
    restartPolicy: string
    volumeMounts: "[]VolumeMount patch=merge key=mountPath"
    volumeDevices: "[]object patch=merge key=devicePath"
    livenessProbe: object
    readinessProbe: object
    startupProbe: object
    lifecycle: object
    terminationMessagePath: string
    terminationMessagePolicy: string
    imagePullPolicy: string
    securityContext: object
    stdin: boolean
    stdinOnce: boolean
    tty: boolean
  ContainerPort:
    name: string
    hostPort: int32
    containerPort: int32
    protocol: string
    hostIP: string
  EnvVar:
    name: string
    value: string
    valueFrom: object
  EnvFromSource:
    prefix: string
    configMapRef: object
    secretRef: object
  ResourceRequirements:
    limits: map[quantity]
    requests: map[quantity]
    claims: "[]object"
  VolumeMount:
    name: string
    readOnly: boolean
    recursiveReadOnly: string
    mountPath: string
    subPath: string
    mountPropagation: string
    subPathExpr: string
  Volume:
    "@preserve": true
    name: string
  Service:
    metadata: ObjectMeta
    spec: ServiceSpec
    status: object
  ServiceSpec:
    ports: "[]ServicePort patch=merge key=port"
    selector: map[string]
    clusterIP: string
    clusterIPs: "[]string"
    type: string
    externalIPs: "[]string"
    sessionAffinity: string
    loadBalancerIP: string
    loadBalancerSourceRanges: "[]string"
    externalName: string
    externalTrafficPolicy: string
    healthCheckNodePort: int32
    publishNotReadyAddresses: boolean
    sessionAffinityConfig: object
    ipFamilies: "[]string"
    ipFamilyPolicy: string
    allocateLoadBalancerNodePorts: boolean
    loadBalancerClass: string
    internalTrafficPolicy: string
    trafficDistribution: string
  ServicePort:
    name: string
    protocol: string
    appProtocol: string
    port: int32
    targetPort: int-or-string
    nodePort: int32
  Event:
    metadata: ObjectMeta
    involvedObject: ObjectReference
    reason: string
    message: string
    source: EventSource
    firstTimestamp: date-time
    lastTimestamp: date-time
    count: int32
    type: string
    eventTime: date-time
    series: object
    action: string
    related: ObjectReference
    reportingComponent: string
    reportingInstance: string
  EventSource:
    component: string
    host: string
  Endpoints:
    "@preserve": true
    metadata: ObjectMeta
  PersistentVolumeClaim:
    metadata: ObjectMeta
    spec: object
    status: object
  LimitRange:
    metadata: ObjectMeta
    spec: object
  ResourceQuota:
    metadata: ObjectMeta
    spec: object
    status: object
  Node:
    metadata: ObjectMeta
    spec: object
    status: object

io.k8s.api.apps.v1:
  Deployment:
    metadata: ObjectMeta
    spec: DeploymentSpec
    status: object
  DeploymentSpec:
    replicas: int32
    selector: LabelSelector
    template: PodTemplateSpec
    strategy: "DeploymentStrategy patch=retainKeys"
    minReadySeconds: int32
    revisionHistoryLimit: int32
    paused: boolean
    progressDeadlineSeconds: int32
  DeploymentStrategy:
    type: string
    rollingUpdate: object
  StatefulSet:
    metadata: ObjectMeta
    spec: object
    status: object
  DaemonSet:
    metadata: ObjectMeta
    spec: object
    status: object
  ReplicaSet:
    metadata: ObjectMeta
    spec: object
    status: object

io.k8s.api.batch.v1:
  Job:
    metadata: ObjectMeta
    spec: object
    status: object
  CronJob:
    metadata: ObjectMeta
    spec: object
    status: object

io.k8s.api.coordination.v1:
  Lease:
    metadata: ObjectMeta
    spec: LeaseSpec
  LeaseSpec:
    holderIdentity: string
    leaseDurationSeconds: int32
    acquireTime: date-time
    renewTime: date-time
    leaseTransitions: int32
    strategy: string
    preferredHolder: string

io.k8s.api.events.v1:
  Event:
    metadata: ObjectMeta
    eventTime: date-time
    series: object
    reportingController: string
    reportingInstance: string
    action: string
    reason: string
    regarding: ObjectReference
    related: ObjectReference
    note: string
    type: string
    deprecatedSource: EventSource
    deprecatedFirstTimestamp: date-time
    deprecatedLastTimestamp: date-time
    deprecatedCount: int32

io.k8s.api.rbac.v1:
  Role:
    metadata: ObjectMeta
    rules: "[]PolicyRule"
  ClusterRole:
    metadata: ObjectMeta
    rules: "[]PolicyRule"
    aggregationRule: AggregationRule
  AggregationRule:
    clusterRoleSelectors: "[]LabelSelector"
  PolicyRule:
    verbs: "[]string"
    apiGroups: "[]string"
    resources: "[]string"
    resourceNames: "[]string"
    nonResourceURLs: "[]string"
  RoleBinding:
    metadata: ObjectMeta
    subjects: "[]Subject"
    roleRef: RoleRef
  ClusterRoleBinding:
    metadata: ObjectMeta
    subjects: "[]Subject"
    roleRef: RoleRef
  Subject:
    kind: string
    apiGroup: string
    name: string
    namespace: string
  RoleRef:
    apiGroup: string
    kind: string
    name: string

io.k8s.api.admissionregistration.v1:
  MutatingWebhookConfiguration:
    metadata: ObjectMeta
    webhooks: "[]MutatingWebhook patch=merge key=name"
  ValidatingWebhookConfiguration:
    metadata: ObjectMeta
    webhooks: "[]ValidatingWebhook patch=merge key=name"
  MutatingWebhook:
    name: string
    clientConfig: WebhookClientConfig
    rules: "[]RuleWithOperations"
    failurePolicy: string
    matchPolicy: string
    namespaceSelector: LabelSelector
    objectSelector: LabelSelector
    sideEffects: string
    timeoutSeconds: int32
    admissionReviewVersions: "[]string"
    reinvocationPolicy: string
    matchConditions: "[]MatchCondition patch=merge key=name"
  ValidatingWebhook:
    name: string
    clientConfig: WebhookClientConfig
    rules: "[]RuleWithOperations"
    failurePolicy: string
    matchPolicy: string
    namespaceSelector: LabelSelector
    objectSelector: LabelSelector
    sideEffects: string
    timeoutSeconds: int32
    admissionReviewVersions: "[]string"
    matchConditions: "[]MatchCondition patch=merge key=name"
  WebhookClientConfig:
    url: string
    service: ServiceReference
    caBundle: byte
  ServiceReference:
    namespace: string
    name: string
    path: string
    port: int32
  RuleWithOperations:
    operations: "[]string"
    apiGroups: "[]string"
    apiVersions: "[]string"
    resources: "[]string"
    scope: string
  MatchCondition:
    name: string
    expression: string

io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1:
  CustomResourceDefinition:
    metadata: ObjectMeta
    spec: CustomResourceDefinitionSpec
    status: object
  CustomResourceDefinitionSpec:
    group: string
    names: CustomResourceDefinitionNames
    scope: string
    versions: "[]CustomResourceDefinitionVersion"
    conversion: object
    preserveUnknownFields: boolean
  CustomResourceDefinitionNames:
    plural: string
    singular: string
    shortNames: "[]string"
    kind: string
    listKind: string
    categories: "[]string"
  CustomResourceDefinitionVersion:
    name: string
    served: boolean
    storage: boolean
    deprecated: boolean
    deprecationWarning: string
    schema: object
    subresources: object
    additionalPrinterColumns: "[]object"
    selectableFields: "[]object"

io.k8s.api.policy.v1:
  PodDisruptionBudget:
    metadata: ObjectMeta
    spec: object
    status: object

io.k8s.api.networking.v1:
  NetworkPolicy:
    metadata: ObjectMeta
    spec: object
  Ingress:
    metadata: ObjectMeta
    spec: object
    status: object

io.k8s.api.autoscaling.v2:
  HorizontalPodAutoscaler:
    metadata: ObjectMeta
    spec: object
    status: object

io.k8s.api.scheduling.v1:
  PriorityClass:
    metadata: ObjectMeta
    value: int32
    globalDefault: boolean
    description: string
    preemptionPolicy: string

io.k8s.api.authorization.v1:
  SelfSubjectAccessReview:
    metadata: ObjectMeta
    spec: object
    status: object
)yaml";

std::vector<BuiltinResource> MakeResources() {
  const std::vector<std::string> kAll = {"all"};
  std::vector<BuiltinResource> r;
  auto add = [&](std::string group, std::string version, std::string kind, std::string plural,
                 bool namespaced, std::vector<std::string> short_names,
                 std::vector<std::string> categories, bool status, bool generation,
                 std::string schema) {
    BuiltinResource b;
    b.group = std::move(group);
    b.version = std::move(version);
    b.kind = std::move(kind);
    b.plural = std::move(plural);
    std::string singular = b.kind;
    for (char& c : singular) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    b.singular = singular;
    b.namespaced = namespaced;
    b.short_names = std::move(short_names);
    b.categories = std::move(categories);
    b.status_subresource = status;
    b.has_generation = generation;
    b.schema = std::move(schema);
    r.push_back(std::move(b));
    return &r.back();
  };
  const std::string core = "io.k8s.api.core.v1.";
  add("", "v1", "Namespace", "namespaces", false, {"ns"}, {}, true, false, core + "Namespace")
      ->field_selectors = {{"status.phase", "/status/phase"}};
  add("", "v1", "ConfigMap", "configmaps", true, {"cm"}, {}, false, false, core + "ConfigMap");
  add("", "v1", "Secret", "secrets", true, {}, {}, false, false, core + "Secret")
      ->field_selectors = {{"type", "/type"}};
  add("", "v1", "ServiceAccount", "serviceaccounts", true, {"sa"}, {}, false, false,
      core + "ServiceAccount");
  add("", "v1", "Pod", "pods", true, {"po"}, kAll, true, true, core + "Pod")->field_selectors = {
      {"spec.nodeName", "/spec/nodeName"},
      {"spec.restartPolicy", "/spec/restartPolicy"},
      {"spec.schedulerName", "/spec/schedulerName"},
      {"spec.serviceAccountName", "/spec/serviceAccountName"},
      {"status.phase", "/status/phase"},
      {"status.podIP", "/status/podIP"},
      {"status.nominatedNodeName", "/status/nominatedNodeName"}};
  add("", "v1", "Service", "services", true, {"svc"}, kAll, true, false, core + "Service");
  add("", "v1", "Event", "events", true, {"ev"}, {}, false, false, core + "Event")
      ->field_selectors = {{"involvedObject.kind", "/involvedObject/kind"},
                           {"involvedObject.namespace", "/involvedObject/namespace"},
                           {"involvedObject.name", "/involvedObject/name"},
                           {"involvedObject.uid", "/involvedObject/uid"},
                           {"involvedObject.apiVersion", "/involvedObject/apiVersion"},
                           {"involvedObject.resourceVersion", "/involvedObject/resourceVersion"},
                           {"involvedObject.fieldPath", "/involvedObject/fieldPath"},
                           {"reason", "/reason"},
                           {"reportingComponent", "/reportingComponent"},
                           {"source", "/source/component"},
                           {"type", "/type"}};
  add("", "v1", "Endpoints", "endpoints", true, {"ep"}, {}, false, false, core + "Endpoints");
  add("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true, {"pvc"}, {}, true, false,
      core + "PersistentVolumeClaim");
  add("", "v1", "LimitRange", "limitranges", true, {"limits"}, {}, false, false,
      core + "LimitRange");
  add("", "v1", "ResourceQuota", "resourcequotas", true, {"quota"}, {}, true, false,
      core + "ResourceQuota");
  add("", "v1", "Node", "nodes", false, {"no"}, {}, true, false, core + "Node")->field_selectors = {
      {"spec.unschedulable", "/spec/unschedulable"}};
  const std::string apps = "io.k8s.api.apps.v1.";
  add("apps", "v1", "Deployment", "deployments", true, {"deploy"}, kAll, true, true,
      apps + "Deployment");
  add("apps", "v1", "StatefulSet", "statefulsets", true, {"sts"}, kAll, true, true,
      apps + "StatefulSet");
  add("apps", "v1", "DaemonSet", "daemonsets", true, {"ds"}, kAll, true, true, apps + "DaemonSet");
  add("apps", "v1", "ReplicaSet", "replicasets", true, {"rs"}, kAll, true, true,
      apps + "ReplicaSet");
  add("batch", "v1", "Job", "jobs", true, {}, kAll, true, true, "io.k8s.api.batch.v1.Job");
  add("batch", "v1", "CronJob", "cronjobs", true, {"cj"}, kAll, true, true,
      "io.k8s.api.batch.v1.CronJob");
  add("coordination.k8s.io", "v1", "Lease", "leases", true, {}, {}, false, false,
      "io.k8s.api.coordination.v1.Lease");
  add("events.k8s.io", "v1", "Event", "events", true, {"ev"}, {}, false, false,
      "io.k8s.api.events.v1.Event");
  const std::string rbac = "io.k8s.api.rbac.v1.";
  add("rbac.authorization.k8s.io", "v1", "Role", "roles", true, {}, {}, false, false,
      rbac + "Role");
  add("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false, {}, {}, false, false,
      rbac + "ClusterRole");
  add("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true, {}, {}, false, false,
      rbac + "RoleBinding");
  add("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false, {}, {},
      false, false, rbac + "ClusterRoleBinding");
  const std::string adm = "io.k8s.api.admissionregistration.v1.";
  add("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration",
      "mutatingwebhookconfigurations", false, {}, {"api-extensions"}, false, true,
      adm + "MutatingWebhookConfiguration");
  add("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration",
      "validatingwebhookconfigurations", false, {}, {"api-extensions"}, false, true,
      adm + "ValidatingWebhookConfiguration");
  add("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", false,
      {"crd", "crds"}, {"api-extensions"}, true, true,
      "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition");
  add("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true, {"pdb"}, {}, true, true,
      "io.k8s.api.policy.v1.PodDisruptionBudget");
  add("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true, {"netpol"}, {}, false,
      true, "io.k8s.api.networking.v1.NetworkPolicy");
  add("networking.k8s.io", "v1", "Ingress", "ingresses", true, {"ing"}, {}, true, true,
      "io.k8s.api.networking.v1.Ingress");
  add("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true, {"hpa"},
      kAll, true, false, "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler");
  add("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", false, {"pc"}, {}, false,
      false, "io.k8s.api.scheduling.v1.PriorityClass");
  add("authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", false,
      {}, {}, false, false, "io.k8s.api.authorization.v1.SelfSubjectAccessReview")
      ->create_only = true;
  return r;
}

// Expands the notation into OpenAPI v3 schemas.
class Expander {
 public:
  explicit Expander(const json& notation) : notation_(notation) {
    for (auto pkg = notation.begin(); pkg != notation.end(); ++pkg) {
      for (auto type = pkg.value().begin(); type != pkg.value().end(); ++type) {
        std::string full = absl::StrCat(pkg.key(), ".", type.key());
        by_short_[type.key()].push_back(full);
      }
    }
  }

  SchemaSet Build(const std::set<std::string>& kinds_with_gvk,
                  const std::map<std::string, json>& gvk_by_schema) {
    SchemaSet set;
    for (auto pkg = notation_.begin(); pkg != notation_.end(); ++pkg) {
      for (auto type = pkg.value().begin(); type != pkg.value().end(); ++type) {
        std::string full = absl::StrCat(pkg.key(), ".", type.key());
        json schema = {{"type", "object"}, {"properties", json::object()}};
        bool is_kind = kinds_with_gvk.count(full) > 0;
        if (is_kind) {
          schema["properties"]["apiVersion"] = {{"type", "string"}};
          schema["properties"]["kind"] = {{"type", "string"}};
          schema["x-kubernetes-group-version-kind"] = gvk_by_schema.at(full);
        }
        for (auto field = type.value().begin(); field != type.value().end(); ++field) {
          if (field.key() == "@preserve") {
            schema["x-kubernetes-preserve-unknown-fields"] = true;
            continue;
          }
          schema["properties"][field.key()] =
              Field(pkg.key(), field.value().get<std::string>(), full);
        }
        set.Add(full, std::move(schema));
      }
    }
    set.Add("io.k8s.apimachinery.pkg.api.resource.Quantity",
            {{"description",
              "A fixed-point number: an integer, a decimal or a string such as "
              "\"500m\" or \"2Gi\"."}});
    return set;
  }

 private:
  json Field(const std::string& pkg, const std::string& spec, const std::string& owner) {
    std::vector<std::string> tokens = absl::StrSplit(spec, ' ', absl::SkipEmpty());
    json schema = Type(pkg, tokens.empty() ? "any" : tokens[0], owner);
    json extensions = json::object();
    for (size_t i = 1; i < tokens.size(); ++i) {
      if (absl::StartsWith(tokens[i], "patch=")) {
        extensions["x-kubernetes-patch-strategy"] = tokens[i].substr(6);
      } else if (absl::StartsWith(tokens[i], "key=")) {
        extensions["x-kubernetes-patch-merge-key"] = tokens[i].substr(4);
      } else {
        Fail(absl::StrCat("unknown modifier ", tokens[i], " in ", owner));
      }
    }
    if (extensions.empty()) return schema;
    if (schema.contains("$ref")) schema = {{"allOf", json::array({schema})}};
    schema.update(extensions);
    return schema;
  }

  json Type(const std::string& pkg, const std::string& t, const std::string& owner) {
    if (t == "string") return {{"type", "string"}};
    if (t == "boolean") return {{"type", "boolean"}};
    if (t == "int32") return {{"type", "integer"}, {"format", "int32"}};
    if (t == "int64") return {{"type", "integer"}, {"format", "int64"}};
    if (t == "number") return {{"type", "number"}, {"format", "double"}};
    if (t == "byte") return {{"type", "string"}, {"format", "byte"}};
    if (t == "date-time") return {{"type", "string"}, {"format", "date-time"}};
    if (t == "int-or-string") {
      return {{"x-kubernetes-int-or-string", true}, {"format", "int-or-string"}};
    }
    if (t == "quantity") {
      return {{"$ref", "#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity"}};
    }
    if (t == "object") return {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
    if (t == "any") return {{"x-kubernetes-preserve-unknown-fields", true}};
    if (absl::StartsWith(t, "[]")) {
      return {{"type", "array"}, {"items", Type(pkg, t.substr(2), owner)}};
    }
    if (absl::StartsWith(t, "map[") && absl::EndsWith(t, "]")) {
      return {{"type", "object"},
              {"additionalProperties", Type(pkg, t.substr(4, t.size() - 5), owner)}};
    }
    return {{"$ref", absl::StrCat("#/components/schemas/", Resolve(pkg, t, owner))}};
  }

  std::string Resolve(const std::string& pkg, const std::string& name, const std::string& owner) {
    auto it = by_short_.find(name);
    if (it == by_short_.end()) Fail(absl::StrCat("unknown type ", name, " in ", owner));
    for (const auto& full : it->second) {
      if (full == absl::StrCat(pkg, ".", name)) return full;
    }
    if (it->second.size() != 1) Fail(absl::StrCat("ambiguous type ", name, " in ", owner));
    return it->second[0];
  }

  [[noreturn]] static void Fail(const std::string& what) {
    // The notation is a compile-time constant: a mistake in it is a programming error that the
    // unit tests catch on their first run.
    std::fprintf(stderr, "builtin_catalog: %s\n", what.c_str());
    std::abort();
  }

  const json& notation_;
  std::map<std::string, std::vector<std::string>> by_short_;
};

SchemaSet MakeSchemas() {
  absl::StatusOr<json> notation = ParseKubeYaml(kSchemaNotation);
  if (!notation.ok() || !notation->is_object()) {
    std::fprintf(stderr, "builtin_catalog: bad notation: %s\n",
                 std::string(notation.status().message()).c_str());
    std::abort();
  }
  std::set<std::string> kinds;
  std::map<std::string, json> gvks;
  for (const auto& r : BuiltinResources()) {
    kinds.insert(r.schema);
    gvks[r.schema] = json::array({{{"group", r.group}, {"version", r.version}, {"kind", r.kind}}});
  }
  return Expander(*notation).Build(kinds, gvks);
}

constexpr char kPreinstalledCrds[] = R"yaml(
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: pipelineruns.tekton.dev
  labels:
    app.kubernetes.io/instance: default
    app.kubernetes.io/part-of: tekton-pipelines
    pipeline.tekton.dev/release: "v1.0.0"
spec:
  group: tekton.dev
  preserveUnknownFields: false
  scope: Namespaced
  names:
    kind: PipelineRun
    plural: pipelineruns
    singular: pipelinerun
    categories: [tekton, tekton-pipelines]
    shortNames: [pr, prs]
  versions:
  - name: v1beta1
    served: true
    storage: false
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
    additionalPrinterColumns: &runcolumns
    - name: Succeeded
      type: string
      jsonPath: ".status.conditions[?(@.type==\"Succeeded\")].status"
    - name: Reason
      type: string
      jsonPath: ".status.conditions[?(@.type==\"Succeeded\")].reason"
    - name: StartTime
      type: date
      jsonPath: .status.startTime
    - name: CompletionTime
      type: date
      jsonPath: .status.completionTime
    subresources:
      status: {}
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
    additionalPrinterColumns: *runcolumns
    subresources:
      status: {}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: taskruns.tekton.dev
  labels:
    app.kubernetes.io/instance: default
    app.kubernetes.io/part-of: tekton-pipelines
    pipeline.tekton.dev/release: "v1.0.0"
spec:
  group: tekton.dev
  preserveUnknownFields: false
  scope: Namespaced
  names:
    kind: TaskRun
    plural: taskruns
    singular: taskrun
    categories: [tekton, tekton-pipelines]
    shortNames: [tr, trs]
  versions:
  - name: v1beta1
    served: true
    storage: false
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
    additionalPrinterColumns: &trcolumns
    - name: Succeeded
      type: string
      jsonPath: ".status.conditions[?(@.type==\"Succeeded\")].status"
    - name: Reason
      type: string
      jsonPath: ".status.conditions[?(@.type==\"Succeeded\")].reason"
    - name: StartTime
      type: date
      jsonPath: .status.startTime
    - name: CompletionTime
      type: date
      jsonPath: .status.completionTime
    subresources:
      status: {}
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
    additionalPrinterColumns: *trcolumns
    subresources:
      status: {}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: pipelines.tekton.dev
spec:
  group: tekton.dev
  scope: Namespaced
  names:
    kind: Pipeline
    plural: pipelines
    singular: pipeline
    categories: [tekton, tekton-pipelines]
  versions:
  - name: v1beta1
    served: true
    storage: false
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
    subresources:
      status: {}
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
    subresources:
      status: {}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: tasks.tekton.dev
spec:
  group: tekton.dev
  scope: Namespaced
  names:
    kind: Task
    plural: tasks
    singular: task
    categories: [tekton, tekton-pipelines]
  versions:
  - name: v1beta1
    served: true
    storage: false
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
    subresources:
      status: {}
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
    subresources:
      status: {}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: clusterpolicies.kyverno.io
  labels:
    app.kubernetes.io/part-of: kyverno
spec:
  group: kyverno.io
  scope: Cluster
  names:
    kind: ClusterPolicy
    plural: clusterpolicies
    singular: clusterpolicy
    categories: [kyverno]
    shortNames: [cpol]
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: &policyschema
        type: object
        properties:
          apiVersion: {type: string}
          kind: {type: string}
          metadata: {type: object}
          spec:
            type: object
            x-kubernetes-preserve-unknown-fields: true
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
    additionalPrinterColumns: &policycolumns
    - name: ADMISSION
      type: boolean
      jsonPath: .spec.admission
    - name: BACKGROUND
      type: boolean
      jsonPath: .spec.background
    - name: READY
      type: string
      jsonPath: ".status.conditions[?(@.type == \"Ready\")].status"
    - name: AGE
      type: date
      jsonPath: .metadata.creationTimestamp
    subresources:
      status: {}
  - name: v2beta1
    served: true
    storage: false
    schema:
      openAPIV3Schema: *policyschema
    additionalPrinterColumns: *policycolumns
    subresources:
      status: {}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: policies.kyverno.io
  labels:
    app.kubernetes.io/part-of: kyverno
spec:
  group: kyverno.io
  scope: Namespaced
  names:
    kind: Policy
    plural: policies
    singular: policy
    categories: [kyverno]
    shortNames: [pol]
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: &nspolicyschema
        type: object
        properties:
          apiVersion: {type: string}
          kind: {type: string}
          metadata: {type: object}
          spec:
            type: object
            x-kubernetes-preserve-unknown-fields: true
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
    subresources:
      status: {}
  - name: v2beta1
    served: true
    storage: false
    schema:
      openAPIV3Schema: *nspolicyschema
    subresources:
      status: {}
)yaml";

}  // namespace

const std::vector<BuiltinResource>& BuiltinResources() {
  static const std::vector<BuiltinResource>* resources =
      new std::vector<BuiltinResource>(MakeResources());
  return *resources;
}

const SchemaSet& BuiltinSchemas() {
  static const SchemaSet* schemas = new SchemaSet(MakeSchemas());
  return *schemas;
}

std::vector<nlohmann::json> PreinstalledCrds() {
  absl::StatusOr<std::vector<json>> docs = ParseKubeYamlDocuments(kPreinstalledCrds);
  if (!docs.ok()) {
    std::fprintf(stderr, "builtin_catalog: bad CRD manifests: %s\n",
                 std::string(docs.status().message()).c_str());
    std::abort();
  }
  return *docs;
}

}  // namespace hallmark::tests::apiserver
