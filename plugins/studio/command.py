"""``remixer serve``: the studio on uvicorn. Only click here; the server's imports happen
inside the command, so ``remixer --help`` stays fast and works without the extra."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import click

import engine
from engine.errors import RemixerError

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
STUDIO_EXTRA = "pip install 'remixer[studio]'"


def is_local(host: str) -> bool:
    if host in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but this machine needs a token.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--data", "data_dir", default="studio-data", show_default=True,
              type=click.Path(file_okay=False), help="Where jobs, their files and the job table live.")
@click.option("-j", "--jobs", default=1, show_default=True, type=click.IntRange(1, 256),
              help="Sources processed in parallel processes.")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True)
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler address (tcp://host:8786).")
@click.option("--cache-dir", type=click.Path(file_okay=False),
              help="Step cache folder [default: $REMIXER_CACHE_DIR or ~/.cache/remixer].")
@click.option("--recipes", "recipes_dir", type=click.Path(file_okay=False, exists=True),
              help="A folder of your recipes, offered beside the built-in ones.")
@click.option("--allow-root", type=click.Path(file_okay=False, exists=True),
              help="Let API clients name source paths inside this folder.")
@click.option("--token", envvar="REMIXER_STUDIO_TOKEN",
              help="Token every request must carry [default: generated when --host is not local].")
@click.option("--webhook-secret", envvar="REMIXER_WEBHOOK_SECRET", default="",
              help="Shared secret that signs webhook calls (HMAC-SHA256).")
@click.option("--max-upload-mb", default=200, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--resume/--no-resume", default=True, show_default=True,
              help="Run again the jobs a stopped server left running (else mark them interrupted).")
@click.pass_context
def serve(ctx, host, port, data_dir, jobs, executor, scheduler, cache_dir, recipes_dir,
          allow_root, token, webhook_secret, max_upload_mb, resume):
    """Start remixer studio: a web app and HTTP API (docs at /docs) over the same engine."""
    try:
        import uvicorn

        from plugins.studio.app import create_app
        from plugins.studio.jobs import Settings
        from plugins.studio.security import new_token
    except ImportError:
        raise RemixerError("remixer serve needs the studio extra", hint=STUDIO_EXTRA) from None
    from engine.cache import default_cache_dir
    from engine.commands import State
    public = not is_local(host)
    if public and not token:
        token = new_token()
        click.echo(f"token (shown once; every page and API call needs it): {token}")
    settings = Settings(
        data=Path(data_dir).resolve(), cache_dir=Path(cache_dir) if cache_dir else default_cache_dir(),
        plugin_config=ctx.find_object(State).config,
        workers=jobs, executor=executor, scheduler=scheduler,
        recipes_dir=Path(recipes_dir) if recipes_dir else None,
        allow_root=Path(allow_root).resolve() if allow_root else None, token=token or "",
        max_upload=max_upload_mb * 1_000_000, webhook_secret=webhook_secret, resume=resume,
        public=public)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"remixer studio on http://{shown}:{port} (data in {settings.data}; stop with Ctrl+C)")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


@engine.hookimpl
def register_commands(cli):
    cli.add_command(serve)
