"""The operator's `orders` command (`cli.main`), one subpackage per group of commands:

    order/     place, status, cancel, compensation retry|by-hand: the orders API's client
    dlq/       dead letters: list, replay, purge
    events/    re-feed the order events of a time range to one consumer
    history/   download workflow histories; replay them against the workflow code (`replay`)
    audit/     does everything agree: Temporal, the participants, the bus, the consumers
    keys/      the API's keys: create, list, revoke
    codec/     payload keys: new-key

Shared by the groups: `errors` (one line, one exit code), `options`, `credentials` (where a
command finds its key), `payloads` (the key to read histories), `bus` (one NATS connection per
command). `orders dev` and `orders bench` come from the tools package (`tools/`).
"""
