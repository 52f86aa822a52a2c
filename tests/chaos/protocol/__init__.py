"""The order protocol's model-based test: what clients and operators may do, drawn at random
against the whole local stack, and what the system must answer.

```
bodies.py     the orders placed: customers, outcomes, another body for a key or an id
model.py      what was asked of one order, and what it may therefore become (no I/O)
answers.py    what every answer must be: on time, no 5xx but documented 503s, problem bodies
world.py      the stack as the machine acts on it: the API, participants, Temporal, the worker
run.py        what a run shares: the bridge to the test's loop, the seed, the tally
base.py       the machine's state, its step log, every answer checked, the operator
clients.py    rules: place, resubmit, wait, cancel through the API
operators.py  rules: cancel through Temporal, faults and their healing, the worker
landings.py   rule: a cancel landed, with holds, inside a failure's compensation
observer.py   after every step each order against the model; each example's quiet end, audit
machine.py    the state machine: all the rules, the invariant, the teardown
```

The test itself is `tests/chaos/test_order_protocol.py`.
"""
