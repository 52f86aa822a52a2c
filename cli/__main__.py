"""`python -m cli` is the `orders` command."""

from cli.main import main

main()
