"""docker-compose.yml and k8s/ checked offline against their published schemas (no Docker engine or
cluster here): the compose-spec schema vendored by check-jsonschema, and Kubernetes' own OpenAPI schemas
vendored by kubernetes-validate, strict (unknown fields are errors)."""

import json
from importlib import resources
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from gateway.config import GatewaySettings

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
    ):
        assert compose[name]["depends_on"]["setup"]["condition"] == "service_completed_successfully"
    assert compose["setup"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def _documents(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _kustomization_resources(directory: Path) -> list[Path]:
    kustomization = _documents(directory / "kustomization.yaml")[0]
    files = []
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


# Keys only the gateway may hold: whoever has the private JWT key mints any user's token, the session key forges
# web sessions, the TOTP key opens every second factor (issue 18, item 5).
GATEWAY_ONLY_KEYS = {"jwt_private.pem", "web_session.key", "totp.key"}
KEY_SECRET = "opsdesk-jwt-keys"


def _pod_specs() -> dict[str, dict]:  # type: ignore[type-arg]
    documents = [d for p in _kustomization_resources(ROOT / "k8s/base") for d in _documents(p)]
    specs = {d["metadata"]["name"]: d["spec"]["template"]["spec"] for d in documents if d["kind"] == "Deployment"}
    specs |= {d["metadata"]["name"]: d["spec"]["template"]["spec"] for d in documents if d["kind"] == "Job"}
    return specs


def _projected_keys(pod: dict) -> set[str]:  # type: ignore[type-arg]
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
        if name != "gateway":
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
    assert holders == {"gateway", "setup"}
    for name in ("gateway", "setup"):
        env = compose[name]["environment"]
        for variable in ("OPSDESK_JWT_PRIVATE_KEY_FILE", "OPSDESK_WEB_SESSION_KEY_FILE", "OPSDESK_TOTP_KEY_FILE"):
            assert env[variable].startswith("/gateway-keys/"), (name, variable)
    for name, service in compose.items():
        if name not in {"gateway", "setup"} and "environment" in service:
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
