"""The codec server: decodes for a caller with the token, or from a trusted dev origin; refuses
everyone else with a problem and nothing decoded; CORS for the Web UI's origin only."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from google.protobuf import json_format
from pydantic import ValidationError
from temporalio.api.common.v1 import Payload, Payloads

from api.codec_server.app import create_app
from api.codec_server.settings import CodecServerSettings
from orders.codec import EncryptionCodec, KeyRing, new_key

TOKEN = "s3cret-token"
UI = "http://localhost:8233"
KEYS = KeyRing.parse(new_key("k1"))
SECRET = b'{"line1": "12 St James\'s Square"}'


async def sealed_body() -> dict[str, Any]:
    payloads = Payloads(payloads=[Payload(metadata={"encoding": b"json/plain"}, data=SECRET)])
    await EncryptionCodec(KEYS).encode_wrapper(payloads)
    return json_format.MessageToDict(payloads)


def settings(**values: Any) -> CodecServerSettings:
    return CodecServerSettings.model_validate({"token": TOKEN, "cors_origins": [UI], **values})


@pytest.fixture
async def server() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(), EncryptionCodec(KEYS))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://codec") as http:
        yield http


def decoded_data(response: httpx.Response) -> bytes:
    return base64.b64decode(response.json()["payloads"][0]["data"])


async def test_an_authorised_caller_gets_the_plaintext(server: httpx.AsyncClient) -> None:
    response = await server.post(
        "/decode",
        json=await sealed_body(),
        headers={"Authorization": f"Bearer {TOKEN}", "X-Namespace": "default"},
    )
    assert response.status_code == 200, response.text
    assert decoded_data(response) == SECRET
    metadata = response.json()["payloads"][0]["metadata"]
    assert base64.b64decode(metadata["encoding"]) == b"json/plain"


async def test_encode_then_decode_round_trips(server: httpx.AsyncClient) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    plain = {"payloads": [{"metadata": {}, "data": base64.b64encode(b'"hi"').decode()}]}
    encoded = await server.post("/encode", json=plain, headers=auth)
    assert base64.b64decode(encoded.json()["payloads"][0]["metadata"]["encoding"]) == (
        b"binary/encrypted"
    )
    decoded = await server.post("/decode", json=encoded.json(), headers=auth)
    assert decoded_data(decoded) == b'"hi"'


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong"}, 403),
        ({"Authorization": f"Basic {TOKEN}"}, 403),
        ({"Authorization": f"Bearer {TOKEN}", "X-Namespace": "other"}, 403),
        ({"Origin": UI}, 401),  # CORS-allowed is not authorised: the UI still needs the token
    ],
)
async def test_others_are_refused_and_nothing_is_decoded(
    server: httpx.AsyncClient, headers: dict[str, str], status: int
) -> None:
    response = await server.post("/decode", json=await sealed_body(), headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert b"James" not in response.content
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"


async def test_a_trusted_dev_origin_decodes_without_a_token() -> None:
    app = create_app(settings(token=None, trusted_origins=[UI]), EncryptionCodec(KEYS))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://codec") as http:
        trusted = await http.post("/decode", json=await sealed_body(), headers={"Origin": UI})
        other = await http.post(
            "/decode", json=await sealed_body(), headers={"Origin": "http://evil.example"}
        )
    assert trusted.status_code == 200 and decoded_data(trusted) == SECRET
    assert trusted.headers["access-control-allow-origin"] == UI
    assert other.status_code == 401


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace,authorization",
    }


async def test_cors_preflight_from_the_web_ui_is_allowed(server: httpx.AsyncClient) -> None:
    response = await server.options("/decode", headers=preflight(UI))
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == UI
    allowed = response.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "x-namespace"} <= set(allowed.split(", "))


async def test_cors_preflight_from_another_origin_is_refused(server: httpx.AsyncClient) -> None:
    response = await server.options("/decode", headers=preflight("http://evil.example"))
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_garbage_is_a_bad_request_problem(server: httpx.AsyncClient) -> None:
    response = await server.post(
        "/decode",
        json={"payloads": "not a list"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_payloads"


def test_it_will_not_run_open_to_everyone() -> None:
    with pytest.raises(ValidationError, match="ORDERS_CODEC_SERVER_TOKEN"):
        CodecServerSettings.model_validate({"token": None})


def test_trusted_origins_only_on_loopback() -> None:
    with pytest.raises(ValidationError, match="loopback"):
        CodecServerSettings.model_validate({"host": "0.0.0.0", "trusted_origins": [UI]})


def test_lists_come_comma_separated_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERS_CODEC_SERVER_TOKEN", TOKEN)
    monkeypatch.setenv("ORDERS_CODEC_SERVER_CORS_ORIGINS", f"{UI}, http://127.0.0.1:8233")
    assert CodecServerSettings().cors_origins == [UI, "http://127.0.0.1:8233"]
