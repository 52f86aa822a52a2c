"""Who may call the API: bearer tokens (API keys or JWTs) resolved to a `Principal` with scopes.

scopes.py     Scope, Principal: what a caller may do and whose orders it may see
keys.py       API keys `ho_<id>_<secret>`: made, digested, kept in a JSON key file
jwt_tokens.py JWTs verified against a configured key, algorithm allowlist, iss/aud, exp
settings.py   AuthSettings (ORDERS_API_KEYS_FILE, ORDERS_JWT_*, rate limits)
authenticate.py  Authenticator: a bearer token → Principal, or a 401 problem
rate_limit.py    a token bucket per principal, in this process
"""
