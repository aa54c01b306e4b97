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
from engine.errors import RecipeError, RemixerError, clip, printable
from engine.plugins import PluginConfig, build_registry

EXIT_FAILED_SOURCES = 1
EXIT_USAGE = 2


class RemixerGroup(click.Group):
    """A click group that turns RemixerError into one line and an exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except RecipeError as exc:
            _fail(ctx, exc, f"Error: {printable(exc.source)} is invalid:\n"
                            + "\n".join(printable(line) for line in exc.report().splitlines()))
        except RemixerError as exc:
            _fail(ctx, exc, f"Error: {printable(str(exc))}")

    def main(self, *args, debug: bool = False, **kwargs):
        """Show one line for unexpected errors too, unless ``--debug`` was given."""
        try:
            return super().main(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - last resort for the CLI only
            if debug:
                raise
            click.echo(f"Error: internal error {type(exc).__name__}: "
                       f"{printable(clip(str(exc), 300))} "
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


def _group_options(argv: list[str]) -> tuple[tuple[str, ...], bool]:
    """The group's own ``--plugins-dir`` values and ``--debug``, read before the CLI is
    built (plugin directories add commands).

    click parses them, exactly as the group will: only before the subcommand, so a
    source named ``--plugins-dir=x`` (``remixer run R -o out -- *``) is a source.
    """
    pre = click.Command(None, params=[
        click.Option(["--plugins-dir", "plugins_dirs"], multiple=True),
        click.Option(["--debug"], is_flag=True)],
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                          "allow_interspersed_args": False, "help_option_names": []})
    try:
        ctx = pre.make_context("remixer", list(argv), resilient_parsing=True)
    except click.ClickException:
        return (), False
    return tuple(ctx.params.get("plugins_dirs") or ()), bool(ctx.params.get("debug"))


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    plugins_dirs, debug = _group_options(argv)
    try:
        cli = create_cli(PluginConfig(plugins_dirs=plugins_dirs))
    except RemixerError as exc:
        if debug:
            raise
        click.echo(f"Error: {printable(str(exc))}", err=True)
        sys.exit(EXIT_USAGE)
    cli.main(args=argv, prog_name="remixer", debug=debug)
