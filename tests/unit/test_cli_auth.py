"""The CLI's credentials: which key it sends, what a refusal says, `orders keys`, the dev stack's
secrets. The API is faked with `httpx.MockTransport`."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from api.auth.keys import KeyFile
from api.auth.scopes import ALL_SCOPES
from tests.unit.fake_api import Fake, assert_clean_exit, order, orders, problem
from tools.stack.secrets import dev_secrets


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ORDERS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ORDERS_API_KEY", raising=False)
    monkeypatch.delenv("ORDERS_API_KEYS_FILE", raising=False)
    return tmp_path


def sent_key(fake: Fake) -> str:
    return str(fake.requests[-1].headers.get("authorization", ""))


def test_the_key_comes_from_the_option_the_variable_or_the_dev_stack(
    fake: Fake, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.handler = lambda request: httpx.Response(200, json=order())
    assert_clean_exit(orders("status", "A-1"), 0)
    assert sent_key(fake) == ""  # nothing to send: the API will say 401

    (data_dir / "dev-api-key").write_text("ho_dev_key\n")
    assert_clean_exit(orders("status", "A-1"), 0)
    assert sent_key(fake) == "Bearer ho_dev_key"

    monkeypatch.setenv("ORDERS_API_KEY", "ho_env_key")
    assert_clean_exit(orders("status", "A-1"), 0)
    assert sent_key(fake) == "Bearer ho_env_key"

    assert_clean_exit(orders("status", "A-1", "--api-key", "ho_option_key"), 0)
    assert sent_key(fake) == "Bearer ho_option_key"


def test_a_refused_key_is_one_line_saying_what_to_set(fake: Fake) -> None:
    detail = "The API key is unknown or revoked."
    fake.handler = lambda request: problem(401, "unauthorized", detail)
    result = orders("cancel", "A-1", "--api-key", "ho_x_revoked")
    assert_clean_exit(result, 1)
    [line] = result.stderr.strip().splitlines()
    assert "ORDERS_API_KEY" in line and "--api-key" in line and "revoked" in line
    assert "ho_x_revoked" not in result.output


def test_the_slow_scenario_sends_the_service_token_to_shipping(
    fake: Fake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDERS_SERVICE_TOKEN", "svc-token")

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host == "shipping.test":
            return httpx.Response(204 if request.method == "DELETE" else 200, json={})
        return httpx.Response(200, json=order("SCHEDULING_SHIPMENT", order_id="S-1"))

    fake.handler = answer
    assert_clean_exit(orders("place", "--scenario", "slow", "--api-key", "ho_k_s"), 0)
    to_shipping = [r for r in fake.requests if r.url.host == "shipping.test"]
    assert to_shipping and {r.headers["authorization"] for r in to_shipping} == {"Bearer svc-token"}
    assert {r.headers["authorization"] for r in fake.requests if r.url.host == "api.test"} == {
        "Bearer ho_k_s"
    }


def test_keys_create_prints_the_key_once_and_list_and_revoke_manage_it(data_dir: Path) -> None:
    created = orders("keys", "create", "--customer", "cust-3", "--label", "shop")
    assert_clean_exit(created, 0)
    key = created.stdout.strip()
    [entry] = KeyFile(data_dir / "api-keys.json").load().values()
    assert entry.matches(key) and entry.customer_id == "cust-3" and key not in entry.digest

    listed = orders("keys", "list")
    assert entry.id in listed.stdout and "cust-3" in listed.stdout and key not in listed.stdout

    assert_clean_exit(orders("keys", "revoke", entry.id), 0)
    assert KeyFile(data_dir / "api-keys.json").load() == {}
    assert_clean_exit(orders("keys", "revoke", entry.id), 1)
    assert_clean_exit(orders("keys", "create"), 2)  # no customer and no operator scope


def test_the_dev_stack_makes_its_secrets_once_and_reuses_them(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ORDERS_SERVICE_TOKEN")
    first = dev_secrets(data_dir)
    again = dev_secrets(data_dir)
    assert again == first
    for name in ("dev-api-key", "service-token", "api-keys.json"):
        assert (data_dir / name).stat().st_mode & 0o777 == 0o600, name
    [entry] = KeyFile(first.keys_file).load().values()
    assert entry.matches(first.api_key) and entry.scope_set() == ALL_SCOPES
    assert entry.customer_id is None
