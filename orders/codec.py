"""AES-256-GCM payload encryption for Temporal: what the server stores is ciphertext.

Each payload the SDK would send (workflow and activity inputs and results, query and update
answers, memo, summaries, and — with the failure converter `orders.encryption` sets — failure
messages) is serialized whole, metadata included, and sealed with a fresh 12-byte nonce under the
first key of a `KeyRing`. The sealed payload says only `encoding: binary/encrypted` and
`encryption-key-id: <id>`; the key id is also the associated data, so a payload moved under
another id does not decrypt. Decoding passes through payloads that are not encrypted, so
histories written before encryption was turned on still decode.

Key rotation: put a new key first (it encrypts from then on), keep the old ones after it (they
still decrypt what they sealed). Errors:

    CodecError                 a payload or a key set this codec cannot use
    ├── UnknownKeyId           sealed under a key id the ring does not hold
    ├── TamperedPayload        fails authentication: altered, truncated, or another key's
    └── InvalidKeys            a key set that does not parse
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12
KEY_BYTES = 32  # AES-256
_KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class CodecError(ValueError):
    """A payload or a key set the codec cannot use."""


class UnknownKeyId(CodecError):
    """The payload was sealed under a key this ring does not hold."""


class TamperedPayload(CodecError):
    """The payload does not authenticate under the key its metadata names."""


class InvalidKeys(CodecError):
    """The configured keys do not parse."""


@dataclass(frozen=True)
class Key:
    id: str
    secret: bytes

    def __repr__(self) -> str:  # never the secret in a log line or a traceback
        return f"Key(id={self.id!r})"


class KeyRing:
    """Keys by id; the first one encrypts, every one decrypts."""

    def __init__(self, keys: Sequence[Key]) -> None:
        if not keys:
            raise InvalidKeys("no keys")
        ids = [key.id for key in keys]
        duplicate = sorted({key_id for key_id in ids if ids.count(key_id) > 1})
        if duplicate:
            raise InvalidKeys(f"duplicate key id(s): {', '.join(duplicate)}")
        self.current = keys[0]
        self._by_id = {key.id: key for key in keys}

    @property
    def ids(self) -> list[str]:
        return list(self._by_id)

    @property
    def all(self) -> list[Key]:
        return list(self._by_id.values())

    def get(self, key_id: str) -> Key | None:
        return self._by_id.get(key_id)

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        """`id:base64key` entries separated by commas or new lines; `#` starts a comment."""
        entries: Iterable[str] = (
            entry.strip()
            for line in text.splitlines()
            for entry in line.split("#", 1)[0].split(",")
        )
        return cls([_parse_key(entry) for entry in entries if entry])


def _parse_key(entry: str) -> Key:
    key_id, sep, encoded = entry.partition(":")
    if not sep or not _KEY_ID_PATTERN.match(key_id):
        raise InvalidKeys(
            "a key is `<id>:<base64 of 32 bytes>`, the id of letters, digits, '.', '_' or '-' "
            "(generate one with `orders codec new-key`)"
        )
    try:
        secret = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise InvalidKeys(f"key {key_id!r} is not base64") from None
    if len(secret) != KEY_BYTES:
        raise InvalidKeys(f"key {key_id!r} has {len(secret)} bytes, AES-256 needs {KEY_BYTES}")
    return Key(key_id, secret)


def new_key(key_id: str | None = None) -> str:
    """A fresh random key as `<id>:<base64>`; the id defaults to today's date and a suffix."""
    key_id = key_id or f"{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}"
    key = _parse_key(f"{key_id}:{base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()}")
    return f"{key.id}:{base64.b64encode(key.secret).decode()}"


class EncryptionCodec(PayloadCodec):
    """Seals every payload with AES-256-GCM under the ring's current key."""

    def __init__(self, keys: KeyRing) -> None:
        self.keys = keys
        self._ciphers = {key.id: AESGCM(key.secret) for key in keys.all}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.seal(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.open(payload) for payload in payloads]

    def seal(self, payload: Payload) -> Payload:
        key_id = self.keys.current.id
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), key_id.encode())
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID: key_id.encode()}, data=nonce + sealed
        )

    def open(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before encryption was on: stays readable
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise UnknownKeyId(
                f"payload encrypted with key {key_id!r}, which is not configured "
                f"(have: {', '.join(self.keys.ids)}); add it to ORDERS_CODEC_KEYS"
            )
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            return Payload.FromString(cipher.decrypt(nonce, sealed, key_id.encode()))
        except InvalidTag:
            raise TamperedPayload(
                f"payload under key {key_id!r} fails authentication: it was altered"
            ) from None
