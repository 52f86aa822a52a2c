"""Free ports for a whole stack: distinct, and free."""

from __future__ import annotations

import socket
from pathlib import Path

from tools.stack.processes import free_ports
from tools.stack.settings import PORT_FIELDS, DevSettings


def test_ports_chosen_together_are_distinct_and_bindable() -> None:
    ports = free_ports(64)
    assert len(set(ports)) == 64
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", port))


def test_a_stack_on_free_ports_never_gives_two_servers_one_port(tmp_path: Path) -> None:
    for _ in range(20):
        settings = DevSettings.on_free_ports(tmp_path)
        ports = [settings.port_of(name) for name in PORT_FIELDS]
        assert len(set(ports)) == len(PORT_FIELDS)
