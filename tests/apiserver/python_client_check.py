"""Drives hallmark-apiserver with Debian's python3-kubernetes client (run by python_client_test).

Usage: python_client_check.py URL TOKEN
Prints one JSON object describing what the client saw; the C++ test asserts on it.
"""
import json
import sys
import threading
import time

from kubernetes import client, watch
from kubernetes.client.rest import ApiException


def main():
    url, token = sys.argv[1], sys.argv[2]
    cfg = client.Configuration()
    cfg.host = url
    cfg.api_key = {"authorization": token}
    cfg.api_key_prefix = {"authorization": "Bearer"}
    api_client = client.ApiClient(cfg)
    custom = client.CustomObjectsApi(api_client)
    core = client.CoreV1Api(api_client)
    out = {}

    # CustomObjectsApi: list tekton runs cluster-wide, with paging.
    runs = custom.list_cluster_custom_object("tekton.dev", "v1", "pipelineruns")
    out["runs"] = sorted(r["metadata"]["name"] for r in runs["items"])
    rv = runs["metadata"]["resourceVersion"]
    page = custom.list_cluster_custom_object("tekton.dev", "v1", "pipelineruns", limit=1)
    out["page1"] = [r["metadata"]["name"] for r in page["items"]]
    page2 = custom.list_cluster_custom_object(
        "tekton.dev", "v1", "pipelineruns", limit=1, _continue=page["metadata"]["continue"])
    out["page2"] = [r["metadata"]["name"] for r in page2["items"]]

    # A change after the list, then a watch from the list's resourceVersion (python sends
    # watch=True&allowWatchBookmarks=True).
    custom.patch_namespaced_custom_object(
        "tekton.dev", "v1", "default", "pipelineruns", "run-a",
        {"metadata": {"annotations": {"chains.tekton.dev/signed": "true"}}})
    events = []
    w = watch.Watch()
    for ev in w.stream(custom.list_cluster_custom_object, "tekton.dev", "v1", "pipelineruns",
                       resource_version=rv, allow_watch_bookmarks=True, timeout_seconds=2):
        obj = ev["object"]
        events.append([ev["type"], obj["metadata"].get("name", ""),
                       obj["metadata"].get("annotations", {}).get("chains.tekton.dev/signed", "")])
    out["run_events"] = events

    # A 409 on a stale resourceVersion is raised as ApiException(409).
    try:
        custom.patch_namespaced_custom_object(
            "tekton.dev", "v1", "default", "pipelineruns", "run-a",
            {"metadata": {"resourceVersion": "1", "labels": {"x": "y"}}})
        out["conflict"] = None
    except ApiException as e:
        out["conflict"] = [e.status, json.loads(e.body)["reason"]]

    # CoreV1Api: config maps, list then watch while another thread writes.
    cms = core.list_namespaced_config_map("default")
    out["configmaps"] = sorted(c.metadata.name for c in cms.items)
    cm_rv = cms.metadata.resource_version

    def writer():
        time.sleep(0.3)
        core.create_namespaced_config_map(
            "default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="from-python"),
                                          data={"k": "v"}))
        core.patch_namespaced_config_map("from-python", "default", {"data": {"k": "w"}})
        core.delete_namespaced_config_map("from-python", "default")

    t = threading.Thread(target=writer)
    t.start()
    cm_events = []
    for ev in watch.Watch().stream(core.list_namespaced_config_map, "default",
                                   resource_version=cm_rv, timeout_seconds=3):
        cm_events.append([ev["type"], ev["object"].metadata.name,
                          (ev["object"].data or {}).get("k", "")])
    t.join()
    out["configmap_events"] = cm_events

    # Secrets read by name, as the agent reads signing-secrets.
    secret = core.read_namespaced_secret("signing-secrets", "default")
    out["secret_keys"] = sorted(secret.data.keys())

    # A watch from a compacted resourceVersion: the client re-watches once, then raises 410.
    try:
        for _ in watch.Watch().stream(core.list_namespaced_config_map, "default",
                                      resource_version="1", timeout_seconds=2):
            pass
        out["expired"] = None
    except ApiException as e:
        out["expired"] = [e.status, e.reason]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
