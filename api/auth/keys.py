"""API keys: `ho_<key id>_<secret>`, kept at rest only as a SHA-256 digest in a JSON key file.

A fast hash is the right one here. Slow password hashes (bcrypt, argon2) exist to make guessing
a *low-entropy* human password from a stolen digest expensive; the secret of a key is 256 bits
from `secrets`, so nobody can guess it however fast the hash is, and a fast hash keeps every
request cheap. The key id (public) finds the entry; the digest is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from api.auth.scopes import Scope

PREFIX = "ho"


def new_key() -> tuple[str, str]:
    """A new (key id, key): the key is shown to its owner once and never stored."""
    key_id = secrets.token_hex(8)
    return key_id, f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"


def key_id_of(key: str) -> str | None:
    """The key id of something shaped like one of our keys, else None."""
    prefix, _, rest = key.partition("_")
    key_id, _, secret = rest.partition("_")
    return key_id if prefix == PREFIX and key_id and secret else None


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class StoredKey:
    id: str
    digest: str
    scopes: list[str]
    customer_id: str | None = None
    label: str = ""
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def matches(self, key: str) -> bool:
        return hmac.compare_digest(self.digest, digest(key))

    def scope_set(self) -> frozenset[Scope]:
        return frozenset(Scope(s) for s in self.scopes if s in Scope._value2member_map_)


class KeyFile:
    """The key file (`ORDERS_API_KEYS_FILE`): `{"keys": [StoredKey, ...]}`, mode 0600."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, StoredKey]:
        if not self.path.exists():
            return {}
        entries = json.loads(self.path.read_text()).get("keys", [])
        return {entry["id"]: StoredKey(**entry) for entry in entries}

    def save(self, keys: dict[str, StoredKey]) -> None:
        """Write atomically (a reader never sees half a file), readable by the owner only."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".keys-")
        with os.fdopen(fd, "w") as out:  # mkstemp creates the file with mode 0600
            json.dump({"keys": [asdict(k) for k in keys.values()]}, out, indent=2)
        os.replace(tmp, self.path)

    def create(
        self, scopes: frozenset[Scope], customer_id: str | None, label: str = ""
    ) -> tuple[StoredKey, str]:
        """Add a new key; returns its entry and the key itself, which is not kept."""
        if customer_id is None and Scope.OPERATE not in scopes:
            raise ValueError("a key without a customer must have the orders:operate scope")
        key_id, key = new_key()
        entry = StoredKey(key_id, digest(key), sorted(scopes), customer_id, label)
        keys = self.load()
        keys[key_id] = entry
        self.save(keys)
        return entry, key

    def add(self, key: str, scopes: frozenset[Scope], customer_id: str | None, label: str) -> None:
        """Register a key made elsewhere (the local stack's dev key), replacing its entry."""
        key_id = key_id_of(key)
        if key_id is None:
            raise ValueError("not an API key of the form ho_<id>_<secret>")
        keys = self.load()
        keys[key_id] = StoredKey(key_id, digest(key), sorted(scopes), customer_id, label)
        self.save(keys)

    def revoke(self, key_id: str) -> bool:
        keys = self.load()
        if keys.pop(key_id, None) is None:
            return False
        self.save(keys)
        return True


class KeyStore:
    """The API's view of the key file, read again whenever the file changes (a revoke takes
    effect on the next request, with no restart)."""

    def __init__(self, path: Path) -> None:
        self._file = KeyFile(path)
        self._stamp: tuple[int, int] | None = None
        self._keys: dict[str, StoredKey] = {}

    def lookup(self, key: str) -> StoredKey | None:
        key_id = key_id_of(key)
        if key_id is None:
            return None
        entry = self._current().get(key_id)
        return entry if entry is not None and entry.matches(key) else None

    def _current(self) -> dict[str, StoredKey]:
        try:
            stat = self._file.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            return {}
        if stamp != self._stamp:
            self._keys, self._stamp = self._file.load(), stamp
        return self._keys
