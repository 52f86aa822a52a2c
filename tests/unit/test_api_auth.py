"""API keys, JWT verification, the rate limiter and scopes, without servers."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from api.auth.authenticate import Authenticator
from api.auth.jwt_tokens import InvalidToken, JwtVerifier
from api.auth.keys import KeyFile, KeyStore, digest, key_id_of, new_key
from api.auth.rate_limit import RateLimiter
from api.auth.scopes import ALL_SCOPES, Principal, Scope, parse_scopes
from api.auth.settings import AuthSettings
from orders.models import ChargePaymentInput
from orders.problems import ProblemError
from tests.integration.participants import new_order


def test_keys_are_high_entropy_and_carry_their_id() -> None:
    key_id, key = new_key()
    assert key.startswith(f"ho_{key_id}_") and len(key) > 50
    assert key_id_of(key) == key_id
    assert new_key()[1] != key
    for not_a_key in ("", "ho_", "ho_abc", "ho__secret", "xx_abc_secret", "eyJ.a.b"):
        assert key_id_of(not_a_key) is None


def test_the_key_file_keeps_digests_only_owner_readable(tmp_path: Path) -> None:
    keys = KeyFile(tmp_path / "keys.json")
    entry, key = keys.create(frozenset({Scope.READ}), "cust-1", "reader")
    text = keys.path.read_text()
    assert key not in text and digest(key) in text
    assert keys.path.stat().st_mode & 0o777 == 0o600
    assert json.loads(text)["keys"][0]["customer_id"] == "cust-1"
    assert keys.load()[entry.id].matches(key)
    with pytest.raises(ValueError, match="orders:operate"):
        keys.create(frozenset({Scope.READ}), None)


def test_the_store_sees_a_revoke_without_a_restart(tmp_path: Path) -> None:
    keys = KeyFile(tmp_path / "keys.json")
    entry, key = keys.create(ALL_SCOPES, None)
    store = KeyStore(keys.path)
    assert store.lookup(key) == entry
    assert store.lookup(key[:-1] + ("A" if key[-1] != "A" else "B")) is None  # same id, bad secret
    assert keys.revoke(entry.id) and not keys.revoke(entry.id)
    assert store.lookup(key) is None


def test_an_authenticator_maps_keys_to_principals(tmp_path: Path) -> None:
    keys = KeyFile(tmp_path / "keys.json")
    entry, key = keys.create(frozenset({Scope.PLACE, Scope.READ}), "cust-9")
    auth = Authenticator(AuthSettings(api_keys_file=keys.path, jwt_key=None))
    assert auth.authenticate(key) == Principal(
        f"key:{entry.id}", "cust-9", frozenset({Scope.PLACE, Scope.READ})
    )
    for token in (None, "ho_ffff_nope", "a.b.c", "garbage"):
        with pytest.raises(ProblemError) as refused:
            auth.authenticate(token)
        assert refused.value.status == 401
        assert refused.value.headers == {"WWW-Authenticate": 'Bearer realm="hybrid-orders"'}


def test_jwts_need_an_allowed_algorithm_exp_and_the_audience() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    public = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    verifier = JwtVerifier(public, ["ES256"], None, "hybrid-orders")
    claims = {"sub": "cust-5", "aud": "hybrid-orders", "exp": int(time.time()) + 60}
    good = jwt.encode({**claims, "scope": "orders:read bogus"}, private, algorithm="ES256")
    assert verifier.verify(good) == Principal("jwt:cust-5", "cust-5", frozenset({Scope.READ}))
    # An HMAC token keyed with the public key: the classic algorithm confusion, not allowlisted.
    header = jwt.utils.base64url_encode(b'{"alg":"HS256","typ":"JWT"}').decode()
    payload = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    confused = f"{header}.{payload}.c2lnbmF0dXJl"
    no_exp = jwt.encode({"sub": "cust-5", "aud": "hybrid-orders"}, private, algorithm="ES256")
    other_aud = jwt.encode({**claims, "aud": "another-api"}, private, algorithm="ES256")
    for bad in (no_exp, other_aud, "x.y.z", confused):
        with pytest.raises(InvalidToken):
            verifier.verify(bad)


def test_scopes_and_ownership() -> None:
    assert parse_scopes("orders:read orders:nope orders:cancel") == {Scope.READ, Scope.CANCEL}
    customer = Principal("key:1", "cust-1", frozenset({Scope.READ}))
    operator = Principal("key:2", None, frozenset({Scope.OPERATE}))
    assert customer.may(Scope.READ) and not customer.may(Scope.CANCEL)
    assert customer.owns("cust-1") and not customer.owns("cust-2") and not customer.owns(None)
    assert operator.may(Scope.CANCEL) and operator.owns("cust-2")


def test_the_rate_limiter_is_a_token_bucket_per_subject() -> None:
    now = [0.0]
    limiter = RateLimiter(per_second=2.0, burst=3, clock=lambda: now[0])
    assert [limiter.take("a") for _ in range(3)] == [None, None, None]
    assert limiter.take("a") == pytest.approx(0.5)
    assert limiter.take("b") is None  # its own bucket
    now[0] += 0.5
    assert limiter.take("a") is None
    assert limiter.take("a") is not None
    now[0] += 100
    assert [limiter.take("a") for _ in range(3)] == [None, None, None]  # refilled to the burst


def test_payment_tokens_stay_out_of_reprs() -> None:
    order = new_order(payment_token="tok_do_not_log")
    charge = ChargePaymentInput(order_id="o", amount=1, currency="USD", token="tok_do_not_log")
    for model in (order, charge):
        assert "tok_do_not_log" not in repr(model) and "tok_do_not_log" not in str(model)
