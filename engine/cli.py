"""The ``remixer`` command line.

Errors a user can fix (:class:`engine.errors.RemixerError`) print as one line without a
traceback; ``--debug`` shows it. Plugins add commands through ``register_commands``.
Nothing heavy is imported here: ``remixer --help`` answers fast.
"""

from __future__ import annotations

import sys
import traceback

import click

from engine import __version__
from engine.commands import State, add_builtin_commands
from engine.errors import RecipeError, RemixerError
from engine.plugins import PluginConfig, build_registry

EXIT_FAILED_SOURCES = 1
EXIT_USAGE = 2


class RemixerGroup(click.Group):
    """A click group that turns RemixerError into one line and an exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except RecipeError as exc:
            _fail(ctx, exc, f"Error: {exc.source} is invalid:\n{exc.report()}")
        except RemixerError as exc:
            _fail(ctx, exc, f"Error: {exc}")

    def main(self, *args, **kwargs):
        """Show one line for unexpected errors too, unless ``--debug`` is on the line."""
        try:
            return super().main(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - last resort for the CLI only
            if "--debug" in sys.argv:
                raise
            click.echo(f"Error: internal error {type(exc).__name__}: {exc} "
                       "(run again with --debug for the traceback)", err=True)
            sys.exit(EXIT_USAGE)


def _fail(ctx: click.Context, exc: BaseException, message: str) -> None:
    state = ctx.find_object(State)
    if state is not None and state.debug:
        click.echo("".join(traceback.format_exception(exc)), err=True)
    click.echo(message, err=True)
    ctx.exit(EXIT_USAGE)


def _state(ctx: click.Context) -> State:
    return ctx.ensure_object(State)


def create_cli(config: PluginConfig = PluginConfig()) -> click.Group:
    """A fresh CLI bound to one plugin configuration (tests build one each)."""

    @click.group(cls=RemixerGroup, context_settings={"help_option_names": ["-h", "--help"]})
    @click.option("--plugins-dir", "plugins_dirs", multiple=True,
                  type=click.Path(file_okay=False), help="Load every .py file in DIR as a plugin.")
    @click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
    @click.version_option(__version__, prog_name="remixer")
    @click.pass_context
    def cli(ctx: click.Context, plugins_dirs: tuple[str, ...], debug: bool):
        """remixer: one source piece in, many finished pieces out.

        \b
        Quick start:
          remixer run recipes/article.yaml samples/article.md -o out
          remixer validate recipes/article.yaml
          remixer plugins
        """
        extra = tuple(d for d in plugins_dirs if d not in config.plugins_dirs)
        ctx.obj = State(PluginConfig(plugins_dirs=config.plugins_dirs + extra,
                                     load_entry_points=config.load_entry_points,
                                     allowlist=config.allowlist), debug=debug)

    add_builtin_commands(cli)
    registry = build_registry(config)
    registry.pm.hook.register_commands(cli=cli)
    return cli


def _plugin_dirs_from_argv(argv: list[str]) -> tuple[str, ...]:
    """``--plugins-dir`` values, read before click parses, so their commands exist."""
    dirs = []
    for i, arg in enumerate(argv):
        if arg == "--plugins-dir" and i + 1 < len(argv):
            dirs.append(argv[i + 1])
        elif arg.startswith("--plugins-dir="):
            dirs.append(arg.split("=", 1)[1])
    return tuple(dirs)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        cli = create_cli(PluginConfig(plugins_dirs=_plugin_dirs_from_argv(argv)))
    except RemixerError as exc:
        if "--debug" in argv:
            raise
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    cli.main(args=argv, prog_name="remixer")

