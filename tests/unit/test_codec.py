"""The AES-GCM payload codec: round trip, rotation, tampering, unknown keys, passthrough."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload

from cli.credentials import CODEC_KEYS_FILE
from cli.payloads import cli_codec_env
from orders.codec import (
    ENCODING,
    KEY_ID,
    EncryptionCodec,
    InvalidKeys,
    KeyRing,
    TamperedPayload,
    UnknownKeyId,
    new_key,
)
from orders.encryption import CodecSettings, EncryptionNotConfigured, data_converter
from orders.models import OrderInput
from tests.integration.participants import new_order

OLD, NEW = new_key("old"), new_key("new")


def codec(*keys: str) -> EncryptionCodec:
    return EncryptionCodec(KeyRing.parse(",".join(keys)))


def json_payload(data: bytes) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=data)


async def test_round_trip_restores_data_and_metadata() -> None:
    original = json_payload(b'{"street": "1 Secret Lane"}')
    [sealed] = await codec(NEW).encode([original])
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_ID] == b"new"
    assert b"Secret" not in sealed.SerializeToString()
    assert await codec(NEW).decode([sealed]) == [original]


async def test_each_payload_gets_a_fresh_nonce() -> None:
    same = json_payload(b'"again"')
    first, second = await codec(NEW).encode([same, same])
    assert first.data != second.data


async def test_after_rotation_old_payloads_decode_and_new_ones_use_the_new_key() -> None:
    written_before = (await codec(OLD).encode([json_payload(b'"before"')]))[0]
    rotated = codec(NEW, OLD)  # the new key first: it encrypts; the old one still decrypts
    assert (await rotated.decode([written_before]))[0].data == b'"before"'
    written_after = (await rotated.encode([json_payload(b'"after"')]))[0]
    assert written_after.metadata[KEY_ID] == b"new"
    with pytest.raises(UnknownKeyId):
        await codec(OLD).decode([written_after])


async def test_a_tampered_payload_fails_authentication() -> None:
    sealed = (await codec(NEW).encode([json_payload(b'"amount": 10')]))[0]
    flipped = bytearray(sealed.data)
    flipped[-1] ^= 0x01
    tampered = Payload(metadata=dict(sealed.metadata), data=bytes(flipped))
    with pytest.raises(TamperedPayload, match="altered"):
        await codec(NEW).decode([tampered])


async def test_a_payload_relabelled_with_another_key_id_does_not_decrypt() -> None:
    """The key id is associated data: moving a payload under another id breaks it."""
    same_secret = NEW.split(":", 1)[1]
    sealed = (await codec(NEW).encode([json_payload(b'"x"')]))[0]
    relabelled = Payload(metadata={"encoding": ENCODING, KEY_ID: b"other"}, data=sealed.data)
    with pytest.raises(TamperedPayload):
        await codec(f"other:{same_secret}").decode([relabelled])


async def test_an_unknown_key_id_fails_naming_it() -> None:
    sealed = (await codec(OLD).encode([json_payload(b'"x"')]))[0]
    with pytest.raises(UnknownKeyId, match=r"'old'.*have: new"):
        await codec(NEW).decode([sealed])


async def test_plaintext_payloads_pass_through_decode() -> None:
    plain = json_payload(b'{"written": "before encryption"}')
    assert await codec(NEW).decode([plain]) == [plain]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "no keys"),
        ("nocolon", "<id>:<base64"),
        ("k:not base64!", "not base64"),
        (f"k:{base64.b64encode(b'short').decode()}", "5 bytes"),
        (f"{NEW},{NEW}", "duplicate"),
    ],
)
def test_bad_key_sets_are_refused_clearly(text: str, error: str) -> None:
    with pytest.raises(InvalidKeys, match=error):
        KeyRing.parse(text)


def test_keys_parse_from_a_file_one_a_line_with_comments(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    path.write_text(f"# rotated 2025-06-01\n{NEW}\n{OLD}  # until old histories are gone\n")
    ring = CodecSettings(keys=None, keys_file=path).key_ring()
    assert ring is not None and ring.ids == ["new", "old"] and ring.current.id == "new"


def test_the_secret_is_never_in_a_repr() -> None:
    ring = KeyRing.parse(NEW)
    assert NEW.split(":", 1)[1] not in repr(ring.current)


def test_no_keys_and_no_explicit_plaintext_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ORDERS_CODEC_KEYS", "ORDERS_CODEC_KEYS_FILE", "ORDERS_CODEC_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(EncryptionNotConfigured, match="ORDERS_CODEC_KEYS"):
        data_converter()
    monkeypatch.setenv("ORDERS_CODEC_DISABLED", "true")
    assert data_converter().payload_codec is None


async def test_the_data_converter_seals_order_inputs() -> None:
    order = new_order()
    converter = data_converter(CodecSettings.model_validate({"keys": NEW}))
    [payload] = await converter.encode([order])
    assert order.shipping_address.line1.encode() not in payload.SerializeToString()
    assert order.payment_token.encode() not in payload.SerializeToString()
    assert await converter.decode([payload], [OrderInput]) == [order]


def test_what_the_cli_starts_gets_the_cli_s_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ORDERS_CODEC_KEYS", "ORDERS_CODEC_KEYS_FILE", "ORDERS_CODEC_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ORDERS_DATA_DIR", str(tmp_path))
    assert cli_codec_env() == {}  # no keys anywhere: the process fails as the CLI would

    (tmp_path / CODEC_KEYS_FILE).write_text(new_key("k1") + "\n")
    assert cli_codec_env() == {"ORDERS_CODEC_KEYS_FILE": str(tmp_path / CODEC_KEYS_FILE)}

    monkeypatch.setenv("ORDERS_CODEC_KEYS", new_key("k2"))
    assert cli_codec_env() == {}  # the environment's keys: inherited as set
