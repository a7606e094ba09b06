"""docker-compose.yml and k8s/ checked offline against their published schemas (no Docker engine or
cluster here): the compose-spec schema vendored by check-jsonschema, Kubernetes' own OpenAPI schemas
vendored by kubernetes-validate, strict (unknown fields are errors), and for the data layer (k8s/data) the
operators' CRD schemas read from OPSDESK_CRD_DIR (not in the repository), as strictly."""

import copy
import json
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from devstack.k8s_sizing import kubelet_shares, manifest_cpu, millicores
from dispatch.config import DispatchSettings
from gateway.config import GatewaySettings
from intake.config import IntakeSettings
from notifications.config import NotificationsSettings
from opsdesk_shared.contracts.routing import REQUIRED_QUEUES
from opsdesk_shared.messaging.topology import EVENTS_EXCHANGE
from reporting.config import ReportingSettings

ROOT = Path(__file__).resolve().parents[2]
K8S_VERSION = "1.30.0"


def test_compose_file_matches_the_compose_specification() -> None:
    schema = json.loads((resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json").read_text())
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    jsonschema.validate(compose, schema)


def test_compose_runs_every_process_after_setup_with_health_checks() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("gateway", "intake-api", "dispatch-api", "notifications-api", "reporting-api", "assets-api"):
        assert "healthcheck" in compose[name], name
    for name in (
        "intake-worker",
        "dispatch-worker",
        "notifications-worker",
        "reporting-worker",
        "assets-worker",
        "gateway",
        "gateway-worker",
    ):
        assert compose[name]["depends_on"]["setup"]["condition"] == "service_completed_successfully"
    assert compose["setup"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def _documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _kustomization_resources(directory: Path) -> list[Path]:
    kustomization = _documents(directory / "kustomization.yaml")[0]
    files: list[Path] = []
    for entry in kustomization.get("resources", []):
        target = (directory / entry).resolve()
        assert target.exists(), f"{directory}/kustomization.yaml names a missing resource {entry}"
        files += _kustomization_resources(target) if target.is_dir() else [target]
    for patch in kustomization.get("patches", []):
        assert (directory / patch["path"]).exists(), patch
    return files


@pytest.mark.parametrize("manifest", _kustomization_resources(ROOT / "k8s/base"), ids=lambda p: p.name)
def test_every_base_manifest_is_valid_kubernetes(manifest: Path) -> None:
    for document in _documents(manifest):
        kubernetes_validate.validate(document, K8S_VERSION, strict=True)


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_overlays_reference_existing_files(overlay: str) -> None:
    assert _kustomization_resources(ROOT / "k8s/overlays" / overlay)


def test_stateless_deployments_have_probes_resources_and_autoscaling() -> None:
    documents = [d for p in _kustomization_resources(ROOT / "k8s/base") for d in _documents(p)]
    deployments = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Deployment"}
    autoscaled = {d["spec"]["scaleTargetRef"]["name"] for d in documents if d["kind"] == "HorizontalPodAutoscaler"}
    assert {"gateway", "intake-api", "dispatch-api", "notifications-api", "reporting-api", "assets-api"} <= autoscaled
    for name, deployment in deployments.items():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["resources"]["requests"] and container["resources"]["limits"], name
        assert "livenessProbe" in container, name
        if name.endswith("-api") or name == "gateway":
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
    kinds = {d["kind"] for d in documents}
    assert {"Job", "Ingress", "ConfigMap", "Secret", "Service"} <= kinds


# The Deployments a person waits on when a ticket is filed (the POST, the provider's receipts) and the
# workers whose work can wait behind the answers (issue 21): with a node saturated, the kernel shares its
# CPU in proportion to the requests, so the first must request several times what the second do.
SERVES_PEOPLE = ("gateway", "intake-api", "notifications-api")
CAN_WAIT = ("notifications-worker", "reporting-worker", "intake-worker", "assets-worker", "gateway-worker")


def test_cpu_requests_serve_people_first_and_keep_the_sla_timer_fed() -> None:
    sizing = manifest_cpu(ROOT / "k8s/base")
    assert set(SERVES_PEOPLE + CAN_WAIT + ("dispatch-worker",)) <= set(sizing)
    least_served = min(sizing[name][0] for name in SERVES_PEOPLE)
    most_waiting = max(sizing[name][0] for name in CAN_WAIT)
    assert least_served >= 4 * most_waiting, (least_served, most_waiting)
    # The SLA timer fires within 1 s however busy the node: dispatch-worker is sized like an API, not a worker.
    assert sizing["dispatch-worker"][0] >= least_served
    for name, (request, limit) in sizing.items():
        assert limit is not None and limit >= max(request, 1000), name  # a worker catches up on a whole core


def test_compose_weighs_each_process_as_its_deployment_requests() -> None:
    sizing = manifest_cpu(ROOT / "k8s/base")
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name, (request, _) in sizing.items():
        assert compose[name]["cpu_shares"] == kubelet_shares(request), name


@pytest.mark.parametrize(("quantity", "expected"), [("250m", 250), ("1", 1000), (2, 2000), ("0.5", 500), ("25m", 25)])
def test_cpu_quantities_in_millicores(quantity: str | int, expected: int) -> None:
    assert millicores(quantity) == expected


# Keys only the gateway may hold: whoever has the private JWT key mints any user's token, the session key forges
# web sessions, the TOTP key opens every second factor (issue 18, item 5).
GATEWAY_ONLY_KEYS = {"jwt_private.pem", "web_session.key", "totp.key"}
KEY_SECRET = "opsdesk-jwt-keys"


def _pod_specs() -> dict[str, dict]:
    documents = [d for p in _kustomization_resources(ROOT / "k8s/base") for d in _documents(p)]
    specs = {d["metadata"]["name"]: d["spec"]["template"]["spec"] for d in documents if d["kind"] == "Deployment"}
    specs |= {d["metadata"]["name"]: d["spec"]["template"]["spec"] for d in documents if d["kind"] == "Job"}
    return specs


def _projected_keys(pod: dict) -> set[str]:
    """The keys of the key Secret a pod can read: only what its volumes list under `items` (a Secret volume
    without `items` projects every key, the very thing this guards against)."""
    keys: set[str] = set()
    for volume in pod.get("volumes", []):
        secret = volume.get("secret")
        if secret is None or secret["secretName"] != KEY_SECRET:
            continue
        assert "items" in secret, f"volume {volume['name']} mounts the whole {KEY_SECRET} Secret"
        keys |= {item["key"] for item in secret["items"]}
    return keys


def test_only_the_gateway_holds_the_signing_session_and_totp_keys() -> None:
    secret = next(
        d
        for p in _kustomization_resources(ROOT / "k8s/base")
        for d in _documents(p)
        if d["kind"] == "Secret" and d["metadata"]["name"] == KEY_SECRET
    )
    pods = _pod_specs()
    assert GATEWAY_ONLY_KEYS | {"jwt_public.pem"} <= _projected_keys(pods["gateway"])
    for name, pod in pods.items():
        projected = _projected_keys(pod)
        assert projected <= set(secret["stringData"]), f"{name} mounts keys the Secret does not have"
        if name == "gateway-worker":  # reseals TOTP secrets (the signing key opens those sealed by older gateways)
            assert projected & GATEWAY_ONLY_KEYS == {"jwt_private.pem", "totp.key"}, projected
        elif name != "gateway":
            assert not projected & GATEWAY_ONLY_KEYS, f"{name} can read {projected & GATEWAY_ONLY_KEYS}"
        if name.endswith(("-api", "-worker")):
            assert "jwt_public.pem" in projected, f"{name} cannot verify access tokens"


def test_compose_gives_the_gateway_only_keys_to_the_gateway_and_its_setup() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    holders = {
        name
        for name, service in compose.items()
        for mount in service.get("volumes", [])
        if str(mount).split(":")[0] == "gateway-keys"
    }
    assert holders == {"gateway", "gateway-worker", "setup"}
    for name in ("gateway", "setup"):
        env = compose[name]["environment"]
        for variable in ("OPSDESK_JWT_PRIVATE_KEY_FILE", "OPSDESK_WEB_SESSION_KEY_FILE", "OPSDESK_TOTP_KEY_FILE"):
            assert env[variable].startswith("/gateway-keys/"), (name, variable)
    for name, service in compose.items():
        if name not in {"gateway", "gateway-worker", "setup"} and "environment" in service:
            assert "OPSDESK_JWT_PRIVATE_KEY_FILE" not in service["environment"], name


def _gateway_environment_in_kubernetes() -> dict[str, str]:
    """What the gateway's container gets: the ConfigMap and Secret it loads, then its own `env`."""
    documents = {
        (d["kind"], d["metadata"]["name"]): d
        for p in _kustomization_resources(ROOT / "k8s/base")
        for d in _documents(p)
    }
    container = documents[("Deployment", "gateway")]["spec"]["template"]["spec"]["containers"][0]
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(documents[("ConfigMap", source["configMapRef"]["name"])]["data"])
        if "secretRef" in source:
            env.update(documents[("Secret", source["secretRef"]["name"])]["stringData"])
    env.update({e["name"]: e["value"] for e in container.get("env", []) if "value" in e})
    return env


def test_the_gateway_in_kubernetes_believes_forwarded_addresses_from_the_ingress_network_only() -> None:
    env = _gateway_environment_in_kubernetes()
    assert env["OPSDESK_ENVIRONMENT"] == "production"
    networks = GatewaySettings(trusted_proxies=env["OPSDESK_TRUSTED_PROXIES"], environment="production")
    assert networks.proxy_networks(), "behind the ingress, OPSDESK_TRUSTED_PROXIES must name its network"
    assert not {"0.0.0.0/0", "::/0"} & set(networks.proxy_networks())  # that would be everybody


def test_every_gateway_replica_in_kubernetes_keeps_its_rate_limits_in_the_same_redis() -> None:
    assert _gateway_environment_in_kubernetes()["OPSDESK_REDIS_URL"].startswith("redis")


def test_compose_gives_the_gateway_redis_and_says_whom_it_trusts_for_forwarded_addresses() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    gateway = compose["gateway"]
    assert gateway["depends_on"]["redis"]["condition"] == "service_healthy"
    assert compose["setup"]["depends_on"]["redis"]["condition"] == "service_healthy"  # devstack setup checks it
    assert "healthcheck" in compose["redis"]
    assert gateway["environment"]["OPSDESK_REDIS_URL"] == "redis://redis:6379/0"
    # Nobody in front of the gateway by default: an explicit, empty list (not the development default).
    assert gateway["environment"]["OPSDESK_TRUSTED_PROXIES"] == "${OPSDESK_TRUSTED_PROXIES:-}"


# --- The data layer (k8s/data, issue 23): the operators' resources validated against their CRDs' schemas ---

CRD_DIR = Path(os.environ.get("OPSDESK_CRD_DIR", ROOT / ".." / "shared" / "crds")).resolve()
DATA = ROOT / "k8s/data"
SERVICE_SETTINGS = (GatewaySettings, IntakeSettings, DispatchSettings, NotificationsSettings, ReportingSettings)


def _strict(schema: Any) -> Any:
    """A CRD's structural schema as the API server applies it with `kubectl apply --validate=strict`: a field
    the schema does not name is an error (the server would silently prune it) unless the schema keeps unknown
    fields (`x-kubernetes-preserve-unknown-fields`) or describes a map (`additionalProperties`)."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    strict = {key: _strict(value) for key, value in schema.items()}
    if (
        "properties" in schema
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        strict["additionalProperties"] = False
    return strict


@pytest.fixture(scope="module")
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> the openAPIV3Schema of that served version, from every CRD in OPSDESK_CRD_DIR."""
    crds = sorted(CRD_DIR.glob("*.yaml")) if CRD_DIR.is_dir() else []
    if not crds:
        pytest.fail(
            f"no operator CRDs in {CRD_DIR}: the k8s/data manifests are validated against the CloudNativePG and "
            "RabbitMQ operators' CustomResourceDefinitions, which are not part of the repository; set "
            "OPSDESK_CRD_DIR to a directory holding them (default ../shared/crds beside the repository)"
        )
    schemas = {}
    for path in crds:
        for crd in _documents(path):
            if crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if version.get("served", True):
                    schemas[(f"{group}/{version['name']}", kind)] = _strict(version["schema"]["openAPIV3Schema"])
    return schemas


def _data_documents() -> list[dict]:
    return [d for p in _kustomization_resources(DATA) for d in _documents(p)]


def _of_kind(kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in _data_documents() if d["kind"] == kind}


@pytest.mark.parametrize("manifest", _kustomization_resources(DATA), ids=lambda p: p.name)
def test_every_data_manifest_is_valid_against_kubernetes_or_its_operators_crd(
    manifest: Path, crd_schemas: dict[tuple[str, str], dict[str, Any]]
) -> None:
    for document in _documents(manifest):
        key = (document["apiVersion"], document["kind"])
        group = document["apiVersion"].rpartition("/")[0]
        if "." in group and not group.endswith(".k8s.io"):  # an operator's resource, not core Kubernetes
            assert key in crd_schemas, f"{manifest.name}: no CRD in {CRD_DIR} defines {key}"
            errors = sorted(
                jsonschema.Draft7Validator(crd_schemas[key]).iter_errors(document), key=lambda e: list(e.path)
            )
            assert not errors, f"{manifest.name} {document['kind']}/{document['metadata']['name']}: " + "; ".join(
                f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors[:5]
            )
        else:
            kubernetes_validate.validate(document, K8S_VERSION, strict=True)


def test_the_strict_crd_validation_catches_a_misspelt_field(crd_schemas: dict[tuple[str, str], dict[str, Any]]) -> None:
    cluster = copy.deepcopy(_of_kind("Cluster")["postgres"])
    cluster["spec"]["monitoring"]["enablePodMonitr"] = True
    assert not jsonschema.Draft7Validator(crd_schemas[("postgresql.cnpg.io/v1", "Cluster")]).is_valid(cluster)
    cluster = copy.deepcopy(_of_kind("Cluster")["postgres"])
    cluster["spec"]["instances"] = "three"
    assert not jsonschema.Draft7Validator(crd_schemas[("postgresql.cnpg.io/v1", "Cluster")]).is_valid(cluster)


def test_the_data_layer_is_its_own_kustomization_in_its_own_namespace() -> None:
    kustomization = _documents(DATA / "kustomization.yaml")[0]
    assert kustomization["namespace"] == "opsdesk-data"
    assert {d["metadata"]["name"] for d in _data_documents() if d["kind"] == "Namespace"} == {"opsdesk-data"}
    app = _documents(ROOT / "k8s/base/kustomization.yaml")[0]
    assert not any("data" in entry for entry in app["resources"]), "the app layer must not include the data layer"


def test_postgresql_is_three_instances_with_a_synchronous_standby_backups_and_every_services_database() -> None:
    cluster = _of_kind("Cluster")["postgres"]["spec"]
    assert cluster["instances"] == 3
    sync = cluster["postgresql"]["synchronous"]
    assert sync["number"] >= 1 and sync["dataDurability"] == "required"
    assert cluster["affinity"]["enablePodAntiAffinity"] and cluster["affinity"]["podAntiAffinityType"] == "required"
    assert cluster["affinity"]["topologyKey"] == "kubernetes.io/hostname"
    assert cluster["enablePDB"] is True
    assert cluster["monitoring"]["enablePodMonitor"] is True
    store = cluster["backup"]["barmanObjectStore"]
    assert store["destinationPath"].startswith("s3://") and "wal" in store  # WAL archived with the base backups
    assert any(b["spec"]["cluster"]["name"] == "postgres" for b in _of_kind("ScheduledBackup").values())
    owners = {role["name"] for role in cluster["managed"]["roles"] if role.get("login")}
    databases = {d["spec"]["name"]: d["spec"] for d in _of_kind("Database").values()}
    for settings in SERVICE_SETTINGS:
        name = settings.model_construct().database_name
        assert name in databases, f"no Database for {name}"
        assert databases[name]["owner"] in owners and databases[name]["cluster"]["name"] == "postgres"


def test_rabbitmq_is_three_nodes_on_three_hosts_with_quorum_queues_by_default() -> None:
    cluster = _of_kind("RabbitmqCluster")["rabbitmq"]["spec"]
    assert cluster["replicas"] == 3
    [term] = cluster["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert term["topologyKey"] == "kubernetes.io/hostname"
    assert term["labelSelector"]["matchLabels"] == {"app.kubernetes.io/name": "rabbitmq"}  # the operator's label
    vhosts = {v["spec"]["name"]: v["spec"] for v in _of_kind("Vhost").values()}
    assert vhosts["opsdesk"]["defaultQueueType"] == "quorum"
    queues = {q["spec"]["name"]: q["spec"] for q in _of_kind("Queue").values()}
    assert all(q["type"] == "quorum" and q["durable"] and q["vhost"] == "opsdesk" for q in queues.values())
    assert all(q.get("deletionPolicy") == "retain" for q in queues.values())


def test_the_topology_resources_are_the_development_definitions_and_the_declared_routes() -> None:
    definitions = json.loads((ROOT / "deploy/rabbitmq/definitions.json").read_text())
    policies = {p["spec"]["name"]: p["spec"] for p in _of_kind("Policy").values()}
    for policy in definitions["policies"]:
        declared = policies[policy["name"]]
        assert (declared["pattern"], declared["applyTo"], declared["definition"]) == (
            policy["pattern"],
            policy["apply-to"],
            policy["definition"],
        )
    exchanges = {e["spec"]["name"]: e["spec"]["type"] for e in _of_kind("Exchange").values()}
    assert exchanges == {e["name"]: e["type"] for e in definitions["exchanges"]}
    queues = {q["spec"]["name"] for q in _of_kind("Queue").values()}
    assert queues == {q["name"] for q in definitions["queues"]} | set(REQUIRED_QUEUES)
    bindings: dict[str, set[str]] = {}
    for binding in _of_kind("Binding").values():
        spec = binding["spec"]
        if spec["source"] == EVENTS_EXCHANGE:
            bindings.setdefault(spec["destination"], set()).add(spec["routingKey"])
    assert bindings == {queue: set(keys) for queue, keys in REQUIRED_QUEUES.items()}
    # Every queue a consumer policy applies to is one of OpsDesk's (the policy's pattern is the contract's too).
    assert all(re.match(policies["opsdesk-consumer-queues"]["pattern"], queue) for queue in REQUIRED_QUEUES)
    assert all(r["spec"]["rabbitmqClusterReference"] == {"name": "rabbitmq"} for r in _of_kind("Binding").values())


def test_redis_is_a_sentinel_statefulset_spread_over_nodes() -> None:
    redis = _of_kind("StatefulSet")["redis"]["spec"]
    assert redis["replicas"] == 3
    pod = redis["template"]["spec"]
    assert {c["name"] for c in pod["containers"]} == {"redis", "sentinel"}
    [term] = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert term["topologyKey"] == "kubernetes.io/hostname"
    script = _of_kind("ConfigMap")["redis"]["data"]["start-sentinel.sh"]
    assert "sentinel monitor opsdesk" in script and " 2\n" in script  # quorum of two of three


def test_every_replicated_workload_has_a_disruption_budget_and_spreads_over_nodes() -> None:
    app = [d for p in _kustomization_resources(ROOT / "k8s/base") for d in _documents(p)]
    budgets = [
        d["spec"]["selector"]["matchLabels"] for d in [*app, *_data_documents()] if d["kind"] == "PodDisruptionBudget"
    ]
    for deployment in (d for d in app if d["kind"] == "Deployment"):
        name = deployment["metadata"]["name"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert any(selector.items() <= labels.items() for selector in budgets), f"no PodDisruptionBudget for {name}"
        terms = deployment["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"][
            "preferredDuringSchedulingIgnoredDuringExecution"
        ]
        assert any(
            t["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
            and t["podAffinityTerm"]["labelSelector"]["matchLabels"].items() <= labels.items()
            for t in terms
        ), name
    for name in ("rabbitmq", "redis"):  # CloudNativePG makes its own (enablePDB)
        assert {"app.kubernetes.io/name": name} in budgets, name


def test_the_app_layer_reaches_the_data_layer_services() -> None:
    env = _gateway_environment_in_kubernetes()
    database, amqp, redis = env["OPSDESK_DATABASE_URL"], env["OPSDESK_AMQP_URL"], env["OPSDESK_REDIS_URL"]
    assert "@postgres-rw.opsdesk-data:" in database  # CloudNativePG's read-write Service of Cluster "postgres"
    assert "@rabbitmq.opsdesk-data:5672/" in amqp  # the RabbitmqCluster's Service
    assert amqp.rsplit("/", 1)[1] in {v["spec"]["name"] for v in _of_kind("Vhost").values()}
    assert redis.startswith("redis+sentinel://") and redis.endswith("/opsdesk")
    assert redis.count(":26379") == _of_kind("StatefulSet")["redis"]["spec"]["replicas"]


def test_compose_and_k8s_run_every_service_the_gateway_routes_to() -> None:
    """A service the gateway proxies to (the fifth, assets, included) has its API and worker in compose and
    in k8s, and both tell the gateway where its API is."""
    names = list(GatewaySettings().services())
    assert "assets" in names
    compose_file = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    compose = compose_file["services"]
    k8s_config = next(
        d
        for d in _documents(ROOT / "k8s/base/config.yaml")
        if d["kind"] == "ConfigMap" and "OPSDESK_INTAKE_URL" in d["data"]
    )
    deployments = {d["metadata"]["name"] for p in _kustomization_resources(ROOT / "k8s/base") for d in _documents(p)}
    for name in names:
        assert {f"{name}-api", f"{name}-worker"} <= compose.keys(), name
        assert compose_file["x-opsdesk-env"][f"OPSDESK_{name.upper()}_URL"] == f"http://{name}-api:8000"
        assert k8s_config["data"][f"OPSDESK_{name.upper()}_URL"] == f"http://{name}-api"
        assert {f"{name}-api", f"{name}-worker"} <= deployments, name
