"""`orders codec new-key`: a fresh payload key, for ORDERS_CODEC_KEYS (docs/encryption.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from orders.codec import InvalidKeys, new_key

codec_app = typer.Typer(help="Payload encryption keys.", no_args_is_help=True)


@codec_app.command("new-key")
def new_key_command(
    key_id: Annotated[
        str | None,
        typer.Option("--id", metavar="ID", show_default=False, help="Default: today's date."),
    ] = None,
) -> None:
    """Print a new random AES-256 key as `<id>:<base64>`.

    To rotate, put it first in ORDERS_CODEC_KEYS and keep the old keys after it:

      ORDERS_CODEC_KEYS="$(orders codec new-key),$ORDERS_CODEC_KEYS"
    """
    try:
        typer.echo(new_key(key_id))
    except InvalidKeys as exc:
        raise typer.BadParameter(str(exc), param_hint="--id") from None
