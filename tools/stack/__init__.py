"""`orders dev`: the whole local stack as processes on this machine, and the process handling the
tests start their servers with.

    settings.py     what runs, on which ports (each with the variable that moves it)
    components.py   each process: its command line, environment and readiness probe
    processes.py    starting, watching and stopping a process; free ports; readiness probes
    secrets.py      the dev API key, service token and payload key, made on first run
    command.py      `orders dev`: start in order, print where everything is, stop on Ctrl-C
"""
