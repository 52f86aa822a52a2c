"""Where the payload keys come from, and the data converter every Temporal client uses.

    ORDERS_CODEC_KEYS        `id:base64key,...`, the first one encrypts (`orders codec new-key`)
    ORDERS_CODEC_KEYS_FILE   the same, one key a line, in a file (mode 0600)
    ORDERS_CODEC_DISABLED    `true`: store payloads in plaintext, knowingly

With none of them a process refuses to connect to Temporal (`EncryptionNotConfigured`): a
deployment that forgot its keys must not quietly write customers' addresses and payment tokens
into Temporal's store. See docs/encryption.md.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

from orders.codec import CodecError, EncryptionCodec, InvalidKeys, KeyRing
from orders.failure_converter import BoundedFailureConverter

log = logging.getLogger("orders.encryption")


class EncryptionNotConfigured(CodecError):
    """No keys, and plaintext was not chosen explicitly."""


class CodecSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERS_CODEC_", extra="ignore")

    keys: SecretStr | None = None
    """`id:base64key` entries, comma-separated; the first encrypts, all decrypt."""
    keys_file: Path | None = None
    """A file of the same entries, one a line; instead of `keys`."""
    disabled: bool = False
    """Store payloads in plaintext. For a throwaway setup only; logged as a warning."""

    @property
    def configured(self) -> bool:
        return self.keys is not None or self.keys_file is not None

    def key_ring(self) -> KeyRing | None:
        """The keys, or None when encryption is explicitly off."""
        if self.keys is not None and self.keys_file is not None:
            raise InvalidKeys("set ORDERS_CODEC_KEYS or ORDERS_CODEC_KEYS_FILE, not both")
        if self.keys is not None:
            return KeyRing.parse(self.keys.get_secret_value())
        if self.keys_file is not None:
            try:
                text = self.keys_file.read_text()
            except OSError as exc:
                raise InvalidKeys(f"cannot read ORDERS_CODEC_KEYS_FILE: {exc}") from None
            return KeyRing.parse(text)
        if self.disabled:
            return None
        raise EncryptionNotConfigured(
            "no payload encryption key: set ORDERS_CODEC_KEYS (make one with "
            "`orders codec new-key`) or ORDERS_CODEC_KEYS_FILE, or ORDERS_CODEC_DISABLED=true "
            "to store order data in plaintext in Temporal (see docs/encryption.md)"
        )


def codec(settings: CodecSettings | None = None) -> EncryptionCodec | None:
    ring = (settings or CodecSettings()).key_ring()
    return None if ring is None else EncryptionCodec(ring)


def data_converter(settings: CodecSettings | None = None) -> DataConverter:
    """Pydantic JSON, then AES-GCM; failure messages and stack traces encrypted too, and each
    failure cut to the size the server keeps (`orders.failure_converter`).

    Raises `EncryptionNotConfigured` when there are no keys and plaintext was not chosen.
    """
    payload_codec = codec(settings)
    if payload_codec is None:
        log.warning("payload encryption is OFF (ORDERS_CODEC_DISABLED): Temporal stores plaintext")
        return pydantic_data_converter
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=payload_codec,
        # A failure's message can quote an order's data (an address a carrier refused): seal
        # it with the payloads instead of leaving it in the failure's plaintext fields.
        failure_converter_class=BoundedFailureConverter,
    )
