"""The protocol's state machine: what clients (`clients.py`) and operators (`operators.py`) may
do to orders, in any interleaving hypothesis draws, and a cancel landed inside a failure's
compensation (`landings.py`); after every step every order not settled
is read and held to the model, and every example ends with a quiet system and a clean audit
(`observer.py`).
"""

from __future__ import annotations

from hypothesis.stateful import invariant

from tests.chaos.protocol.landings import LandingRules


class ProtocolMachine(LandingRules):
    @invariant()
    def orders_follow_the_model(self) -> None:
        # Without a worker no order moves, and reading one waits out a query's timeout.
        if self.worker_down_since is None and not self.failed:
            self.guarded(self.observer.look)

    def teardown(self) -> None:
        self.say("teardown")
        self.guarded(self.observer.end)
