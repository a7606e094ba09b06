"""The CPU requests and limits the Kubernetes manifests give each Deployment, read for the bench (which runs
the system under them, bench/cgroups.py) and for the tests that keep their proportions (tests/deploy)."""

from pathlib import Path

import yaml


def millicores(quantity: str | int | float) -> int:
    """A Kubernetes CPU quantity ("250m", "1", "0.5") in millicores."""
    text = str(quantity)
    return int(text[:-1]) if text.endswith("m") else round(float(text) * 1000)


def manifest_cpu(manifests: Path) -> dict[str, tuple[int, int | None]]:
    """Deployment name -> (request, limit) in millicores, from the first container of each Deployment."""
    sizing: dict[str, tuple[int, int | None]] = {}
    for path in sorted(manifests.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if not document or document.get("kind") != "Deployment":
                continue
            resources = document["spec"]["template"]["spec"]["containers"][0].get("resources", {})
            request = resources.get("requests", {}).get("cpu")
            limit = resources.get("limits", {}).get("cpu")
            sizing[document["metadata"]["name"]] = (
                millicores(request) if request is not None else 0,
                millicores(limit) if limit is not None else None,
            )
    return sizing


def kubelet_shares(request_m: int) -> int:
    """The cgroup v1 `cpu.shares` the kubelet gives a container requesting `request_m` millicores (and the
    `cpu_shares` docker-compose.yml gives the same process, so both weigh it alike)."""
    return max(2, request_m * 1024 // 1000)
