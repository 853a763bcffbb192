"""Champion changes are picked up without dropping a request."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

from credit_scoring.serving.app import create_app


class Registry:
    """Stands for the model registry: ``version`` is what the champion alias points to."""

    def __init__(self, stand_in_class: type, *, load_seconds: float = 0.2) -> None:
        self.version = 1
        self.loads = 0
        self.fail = False
        self.loaded: list[Any] = []
        self._class = stand_in_class
        self._load_seconds = load_seconds

    def identity(self, _uri: str) -> str:
        return f"v{self.version}"

    def load(self, _uri: str) -> Any:
        time.sleep(self._load_seconds)  # a real load takes time; requests keep flowing
        if self.fail:
            raise RuntimeError("bundle download failed")
        self.loads += 1
        model = self._class(
            model_version=f"v{self.version}",
            identity=f"v{self.version}",
            bundle_checksum=f"{self.version:064d}",
        )
        self.loaded.append(model)
        return model


def _hammer(
    url: str, key: str, body: dict[str, Any], stop: threading.Event, out: list[tuple[int, str]]
) -> None:
    with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=10) as client:
        while not stop.is_set():
            response = client.post("/v1/scores", json=body)
            version = (
                response.json().get("model_version", "") if response.status_code == 200 else ""
            )
            out.append((response.status_code, version))


def test_reloads_under_concurrent_load_drop_no_request(
    migrated: Any, keys: Any, stand_in: Any, serve: Any, applications: list[dict[str, Any]]
) -> None:
    registry = Registry(type(stand_in))
    app = create_app(migrated, model_loader=registry.load, model_identity_of=registry.identity)
    with serve(app) as server:
        stop = threading.Event()
        results: list[list[tuple[int, str]]] = [[] for _ in range(3)]
        threads = [
            threading.Thread(
                target=_hammer, args=(server.url, keys.score, applications[i], stop, results[i])
            )
            for i in range(3)
        ]
        for t in threads:
            t.start()
        with httpx.Client(base_url=server.url, headers={"X-API-Key": keys.admin}) as admin:
            for version in (2, 3, 4):
                time.sleep(0.3)
                registry.version = version
                swap = admin.post("/v1/admin/reload", timeout=10).json()
                assert swap["model_version"] == f"v{version}" and swap["changed"] is True
        time.sleep(0.3)
        stop.set()
        for t in threads:
            t.join()
    answers = [a for thread in results for a in thread]
    assert len(answers) > 30
    assert {status for status, _ in answers} == {200}
    for thread in results:  # each client saw the versions in order, never going back
        seen = [int(v[1:]) for _, v in thread]
        assert seen == sorted(seen) and seen[-1] == 4
    assert {v for _, v in answers} == {"v1", "v2", "v3", "v4"}
    assert [m.closed for m in registry.loaded] == [True, True, True, False]


def test_a_failed_reload_keeps_the_old_model_serving(
    migrated: Any, keys: Any, stand_in: Any, serve: Any, applications: list[dict[str, Any]]
) -> None:
    registry = Registry(type(stand_in), load_seconds=0.0)
    app = create_app(migrated, model_loader=registry.load, model_identity_of=registry.identity)
    with serve(app) as server, httpx.Client(base_url=server.url) as client:
        registry.fail = True
        failed = client.post("/v1/admin/reload", headers={"X-API-Key": keys.admin})
        assert failed.status_code == 503 and "RuntimeError" in failed.json()["detail"]
        assert "bundle download failed" not in failed.json()["detail"]  # logged, not answered
        scored = client.post("/v1/scores", json=applications[0], headers={"X-API-Key": keys.score})
        assert scored.status_code == 200 and scored.json()["model_version"] == "v1"
        metrics = client.get("/metrics").text
        assert 'credit_scoring_errors_total{kind="reload"} 1.0' in metrics


def test_polling_picks_up_a_new_champion(
    migrated: Any, keys: Any, stand_in: Any, serve: Any
) -> None:
    registry = Registry(type(stand_in), load_seconds=0.0)
    polling = migrated.model_copy(update={"reload_poll_seconds": 0.5})
    app = create_app(polling, model_loader=registry.load, model_identity_of=registry.identity)
    with serve(app) as server, httpx.Client(base_url=server.url) as client:
        time.sleep(1.5)
        assert registry.loads == 1  # unchanged identity: no reload
        registry.version = 2
        deadline = time.monotonic() + 10
        version = ""
        while time.monotonic() < deadline and version != "v2":
            time.sleep(0.2)
            version = client.get("/v1/model", headers={"X-API-Key": keys.read}).json()[
                "model_version"
            ]
        assert version == "v2" and registry.loads == 2


def test_a_reload_reaches_every_worker_of_the_host(
    migrated: Any, keys: Any, stand_in: Any, serve: Any
) -> None:
    first, second = (
        Registry(type(stand_in), load_seconds=0.0),
        Registry(type(stand_in), load_seconds=0.0),
    )
    app_a = create_app(migrated, model_loader=first.load, model_identity_of=first.identity)
    app_b = create_app(migrated, model_loader=second.load, model_identity_of=second.identity)
    with serve(app_a) as a, serve(app_b) as b, httpx.Client() as client:
        first.version = second.version = 2
        reply = client.post(f"{a.url}/v1/admin/reload", headers={"X-API-Key": keys.admin})
        assert reply.json()["model_version"] == "v2"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and second.loads < 2:
            time.sleep(0.1)
        card = client.get(f"{b.url}/v1/model", headers={"X-API-Key": keys.read}).json()
        assert card["model_version"] == "v2"
