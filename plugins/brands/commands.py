"""``remixer brand init [FILE]`` and ``remixer brand check FILE``."""

from __future__ import annotations

from pathlib import Path

import engine


def brand_summary(loaded, registry) -> str:
    """One line on what a valid brand sets, and the transforms it fills parameters of."""
    brand = loaded.brand
    look, words = brand.look, brand.words
    parts = [brand.name]
    colours = sum(1 for v in look.colors.model_dump().values() if v)
    fonts = sum(1 for v in look.fonts.model_dump().values() if v)
    parts += [what for what, present in (
        ("logo", look.logo), (f"{colours} colours", colours), (f"{fonts} fonts", fonts),
        (f"{len(brand.sound.hosts)} hosts", brand.sound.hosts),
        ("call to action", words.call_to_action),
        (f"{len(words.hashtags)} hashtags", words.hashtags),
        (f"{len(words.pronunciation)} pronunciations", words.pronunciation),
        (f"feed at {brand.show.base_url}", brand.show.base_url)) if present]
    filled = sorted(r.name for r in registry.transforms
                    if any(v is not None for v in r.obj.brand_params(brand).values()))
    return f"{', '.join(parts)}; fills parameters of {', '.join(filled) or 'no transform'}"


@engine.hookimpl
def register_commands(cli):
    import click

    @cli.group("brand")
    def brand():
        """Brand kits: one file for how every output looks, sounds and reads."""

    @brand.command("init")
    @click.argument("file", default="brand.yaml", type=click.Path(dir_okay=False))
    @click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
    def init(file, force):
        """Write a commented brand file (default brand.yaml) with every field described."""
        from engine import atomic
        from engine.brand import load_brand
        from engine.errors import RemixerError
        from plugins.brands.template import brand_template

        path = Path(file)
        if path.exists() and not force:
            raise RemixerError(f"{path} exists", hint="choose another name or pass --force")
        atomic.write_bytes(path, brand_template(path.name).encode("utf-8"))
        load_brand(path)
        click.echo(f"wrote {path}; edit it, then: remixer brand check {path}")

    @brand.command("schema")
    def schema():
        """Print the JSON Schema of brand files (for editor completion)."""
        import json

        from engine.brand import Brand

        data = Brand.model_json_schema()
        data.update({"$schema": "https://json-schema.org/draft/2020-12/schema",
                     "title": "remixer brand"})
        click.echo(json.dumps(data, indent=2))

    @brand.command("check")
    @click.argument("file", type=click.Path(dir_okay=False))
    @click.pass_context
    def check(ctx, file):
        """Check a brand file completely: fields, colours, files, fonts, logo, voices."""
        from engine.brand import brand_problems, load_brand
        from engine.errors import RecipeError

        registry = ctx.obj.registry
        loaded = load_brand(file)
        problems = brand_problems(loaded, registry)
        if problems:
            raise RecipeError(problems, source=str(loaded.path))
        click.echo(f"{file} is a valid brand: {brand_summary(loaded, registry)}")
