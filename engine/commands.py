"""The built-in commands: run, validate, schema, plugins, new, cache."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click

from engine.cache import Cache, default_cache_dir
from engine.errors import RemixerError
from engine.plugins import PluginConfig, Registry, build_registry


@dataclass
class State:
    """What every command shares: plugin configuration, registry, debug flag."""

    config: PluginConfig
    debug: bool = False
    _registry: Registry | None = field(default=None, repr=False)

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = build_registry(self.config)
        return self._registry


_STEP_HELP = "Override a parameter for this run, e.g. summary.words=200 (repeatable)."


def _state(ctx: click.Context) -> State:
    return ctx.ensure_object(State)


def _load(ctx: click.Context, recipe: str, overrides: tuple[str, ...], generator: str | None = None,
          max_outputs: int | None = None, brand: str | None = None):
    """Read, override and validate a recipe; returns the Recipe."""
    from engine.recipe import MAX_OUTPUTS, read_recipe_file, validate_recipe
    raw = read_recipe_file(Path(recipe))
    if brand:
        raw["brand"] = str(Path(brand).resolve())
    if generator:
        raw.setdefault("defaults", {})
        if isinstance(raw["defaults"], dict):
            raw["defaults"]["generator"] = generator
    validated = validate_recipe(raw, _state(ctx).registry, origin=recipe, overrides=list(overrides),
                                max_outputs=max_outputs or MAX_OUTPUTS)
    return validated


_MAX_OUTPUTS_HELP = "Refuse recipes making more outputs per source than N [default: 1000]."
_BRAND_HELP = "Brand file for every output (overrides the recipe's `brand:`)."


@click.command()
@click.argument("recipe", type=click.Path(dir_okay=False))
@click.argument("sources", nargs=-1, required=True)
@click.option("-o", "--out", "out_dir", default="out", show_default=True,
              type=click.Path(file_okay=False), help="Output folder.")
@click.option("-j", "--jobs", default=1, show_default=True, type=click.IntRange(1, 256),
              help="Sources processed in parallel.")
@click.option("--force", is_flag=True, help="Ignore the cache and run every step again.")
@click.option("--only", multiple=True, metavar="STEP",
              help="Run only this step (and what it needs). Repeatable.")
@click.option("--set", "overrides", multiple=True, metavar="STEP.PARAM=VALUE", help=_STEP_HELP)
@click.option("--generator", metavar="NAME[:MODEL]",
              help="Text generator for every step that writes text (e.g. openai:gpt-4o-mini).")
@click.option("--cache-dir", type=click.Path(file_okay=False),
              help="Step cache folder [default: $REMIXER_CACHE_DIR or ~/.cache/remixer].")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local",
              show_default=True, help="Where sources run.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Dask scheduler address (tcp://host:8786); default: a local Dask cluster.")
@click.option("--progress/--no-progress", default=None,
              help="Show progress bars [default: bars when stderr is a terminal, else one "
                   "plain line per event].")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 10000),
              help="Items taken from each feed, newest first.")
@click.option("--max-outputs", type=click.IntRange(1), metavar="N", help=_MAX_OUTPUTS_HELP)
@click.option("--brand", type=click.Path(dir_okay=False), metavar="FILE", help=_BRAND_HELP)
@click.pass_context
def run(ctx, recipe, sources, out_dir, jobs, force, only, overrides, generator, cache_dir,
        executor, scheduler, progress, limit, max_outputs, brand):
    """Run RECIPE over SOURCES (files, folders, globs, web pages and feeds by http(s) URL);
    write OUT/<source>/<step>.<ext>."""
    from engine.batch import run_batch
    state = _state(ctx)
    validated = _load(ctx, recipe, overrides, generator, max_outputs, brand)
    unknown = [o for o in only if not any(o in (n.id, n.step_id) for n in validated.nodes)]
    if unknown:
        raise RemixerError(f"--only {unknown[0]}: no such step",
                           hint="steps: " + ", ".join(n.id for n in validated.nodes))
    summary = run_batch(
        validated, recipe, list(sources), out_dir=Path(out_dir),
        cache_dir=Path(cache_dir) if cache_dir else default_cache_dir(),
        plugin_config=state.config, registry=state.registry, jobs=jobs, force=force,
        only=only, executor=executor, scheduler=scheduler, debug=state.debug, limit=limit,
        progress=("bars" if sys.stderr.isatty() else "lines") if progress is None else progress)
    if summary.failed:
        ctx.exit(1)


@click.command()
@click.argument("recipe", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="STEP.PARAM=VALUE", help=_STEP_HELP)
@click.option("--max-outputs", type=click.IntRange(1), metavar="N", help=_MAX_OUTPUTS_HELP)
@click.option("--brand", type=click.Path(dir_okay=False), metavar="FILE", help=_BRAND_HELP)
@click.pass_context
def validate(ctx, recipe, overrides, max_outputs, brand):
    """Check RECIPE completely without running it; list every problem."""
    validated = _load(ctx, recipe, overrides, max_outputs=max_outputs, brand=brand)
    click.echo(f"{recipe} is valid: {len(validated.nodes)} outputs per source")
    for node in validated.nodes:
        click.echo(f"  {node.id:<28} {node.use:<16} from {node.input}")


@click.command()
@click.pass_context
def schema(ctx):
    """Print the JSON Schema of recipes, with every registered transform's parameters."""
    from engine.schema import recipe_json_schema
    click.echo(json.dumps(recipe_json_schema(_state(ctx).registry), indent=2))


@click.command(name="plugins")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def plugins_command(ctx, as_json):
    """List transforms, source loaders and expanders, voices, transcribers, text generators,
    media providers and translators."""
    registry = _state(ctx).registry
    listing = {
        "transforms": [{"name": r.name, "plugin": r.plugin, "consumes": list(r.obj.consumes),
                        "produces": r.obj.produces, "summary": r.obj.summary()}
                       for r in registry.transforms],
        "source loaders": [{"name": r.name, "plugin": r.plugin, "produces": r.obj.produces,
                            "extensions": list(r.obj.extensions)} for r in registry.loaders],
        "source expanders": [{"name": r.name, "plugin": r.plugin, "summary": _first_line(r.obj)}
                             for r in registry.expanders],
        "voices": [{"name": r.name, "plugin": r.plugin, "summary": _first_line(r.obj)}
                   for r in registry.voices],
        "transcribers": [{"name": r.name, "plugin": r.plugin, "summary": _first_line(r.obj)}
                         for r in registry.transcribers],
        "text generators": [{"name": r.name, "plugin": r.plugin, "summary": _first_line(r.obj)}
                            for r in registry.text_generators],
        "media providers": [{"name": r.name, "plugin": r.plugin, "key": r.obj.api_key_env}
                            for r in registry.media_providers],
        "translators": [{"name": r.name, "plugin": r.plugin,
                         "pairs": registry.translator(r.name).describe_pairs(),
                         "offline": r.obj.offline} for r in registry.translators],
    }
    if as_json:
        click.echo(json.dumps(listing, indent=2))
        return
    for sort, entries in listing.items():
        click.echo(f"{sort}:")
        for e in sorted(entries, key=lambda e: e["name"]):
            detail = ""
            if "consumes" in e:
                detail = f"{'/'.join(e['consumes'])} -> {e['produces']}  {e['summary']}"
            elif "extensions" in e:
                detail = f"{' '.join(e['extensions']) or '(by name)'} -> {e['produces']}"
            elif "pairs" in e:
                detail = e["pairs"] + ("" if e["offline"] else ", needs a model service")
            elif e.get("key"):
                detail = f"needs {e['key']}"
            elif e.get("summary"):
                detail = e["summary"]
            click.echo(f"  {e['name']:<18} {detail}  [{e['plugin']}]".rstrip())


def _first_line(obj) -> str:
    """The first line of a plugin class's docstring: what it is, for listings, with the
    docstring's literal markup (````clone:...````) taken off."""
    doc = (obj.__doc__ or "").strip()
    return doc.splitlines()[0].replace("``", "") if doc else ""


@click.command()
@click.argument("recipe", type=click.Path(dir_okay=False))
@click.option("--use", "uses", multiple=True, metavar="TRANSFORM",
              help="A step to include (repeatable) [default: summary, key-points, social-post].")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.pass_context
def new(ctx, recipe, uses, force):
    """Start a new recipe file with every parameter of its steps written out."""
    from engine import atomic
    from engine.recipe import validate_recipe, read_recipe_file
    from engine.schema import starter_recipe
    path = Path(recipe)
    if path.exists() and not force:
        raise RemixerError(f"{path} exists", hint="choose another name or pass --force")
    registry = _state(ctx).registry
    uses = list(uses) or ["summary", "key-points", "social-post"]
    for use in uses:
        registry.transforms.get(use)
    from engine.runner import slugify
    text = starter_recipe(registry, slugify(path.stem), uses)
    atomic.write_bytes(path, text.encode("utf-8"))
    validate_recipe(read_recipe_file(path), registry, origin=str(path))
    click.echo(f"wrote {path}; edit it, then: remixer run {path} SOURCES... -o out")


@click.group()
def cache():
    """Inspect or clear the step cache."""


@cache.command()
@click.option("--cache-dir", type=click.Path(file_okay=False))
def info(cache_dir):
    """Where the cache is and how much it holds."""
    data = Cache(Path(cache_dir) if cache_dir else default_cache_dir()).info()
    click.echo(f"cache: {data['path']}\nsteps: {data['steps']}\nblobs: {data['blobs']}\n"
               f"size: {data['bytes'] / 1e6:.1f} MB")


@cache.command()
@click.option("--cache-dir", type=click.Path(file_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask.")
def clear(cache_dir, yes):
    """Delete every cached step result."""
    store = Cache(Path(cache_dir) if cache_dir else default_cache_dir())
    if not yes:
        click.confirm(f"Delete the cache at {store.root}?", abort=True)
    store.clear()
    click.echo(f"cleared {store.root}")


def add_builtin_commands(cli: click.Group) -> None:
    for command in (run, validate, schema, plugins_command, new, cache):
        cli.add_command(command)
