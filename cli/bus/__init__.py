"""`orders bus`, and what every bus command shares.

```
cli/bus/
├── connection.py   JetStream for one command: NATS faults and a missing topology as CliErrors
├── refeed.py       re-feeding one consumer (used by `orders dlq` and `orders events`)
├── provision.py    creating and updating the topology from `orders.bus`: its one writer
└── commands.py     `orders bus provision`, `orders bus status`
```
"""
