"""Every hook a remixer plugin can implement.

A plugin is a module (or object) with functions decorated by ``engine.hookimpl`` whose
names are the hooks below. Each hook receives a ``register`` callable; call it once per
thing you provide. Names must be unique across all plugins: a clash stops remixer at
startup with a message naming both plugins, rather than one silently winning.

Example, a one-file plugin (drop it in a folder and pass ``--plugins-dir FOLDER``, or
ship it in a package with an entry point in the ``remixer`` group)::

    import engine
    from engine.artifacts import Text

    class Shout(engine.Transform):
        '''Upper-case a text.'''
        name = "shout"
        consumes = ("text",)
        produces = "text"

        def run(self, source, params, ctx):
            return Text(title=source.title, body=source.body.upper())

    @engine.hookimpl
    def register_transforms(register):
        register(Shout)
"""

from __future__ import annotations

from typing import Any, Callable

import pluggy

hookspec = pluggy.HookspecMarker("remixer")


@hookspec
def register_transforms(register: Callable[[type], None]) -> None:
    """Register transforms: ``register(TransformSubclass)``.

    A transform subclasses :class:`engine.Transform` and sets ``name`` (what a recipe's
    ``use:`` says), ``consumes`` (input artifact kinds), ``produces`` (output kind),
    ``version`` (bump it when the output for the same input changes, so caches refresh)
    and ``Params`` (a subclass of :class:`engine.Params`; every field described, since the
    description is the user's documentation and goes into ``remixer schema``).
    ``run(source, params, ctx)`` returns the output artifact; files it creates go in
    ``ctx.work_dir``. Raise :class:`engine.errors.TransformError` for bad input.
    """


@hookspec
def register_source_loaders(register: Callable[[type], None]) -> None:
    """Register source loaders: ``register(SourceLoaderSubclass)``.

    A loader subclasses :class:`engine.SourceLoader`, lists the file ``extensions`` it
    reads (lower case, with the dot, for example ``(".md", ".markdown")``) and the
    artifact kind it ``produces``. ``load(path)`` returns the artifact or raises
    :class:`engine.errors.SourceError` with a one-line message naming the fix. An
    extension may belong to one loader only.
    """


@hookspec
def register_source_expanders(register: Callable[[type], None]) -> None:
    """Register source expanders: ``register(SourceExpanderSubclass)``.

    An expander subclasses :class:`engine.SourceExpander` and claims source arguments
    that are not files: ``claims("https://...")``. The runner asks every expander before
    it treats an argument as a path, so a URL or a feed never reaches the file checks.
    ``expand(spec, settings)`` fetches into ``settings.cache_dir / "downloads"`` and
    returns :class:`engine.sources.ExpandedSource` entries: regular files plus their
    origin (for the slug, the manifest and the report); a failure is an entry with a
    one-line ``error``, never an exception, so the batch goes on. The first expander
    that claims an argument wins, in registration order.
    """


@hookspec
def register_voices(register: Callable[[type], None]) -> None:
    """Register text-to-speech engines: ``register(VoiceEngineSubclass)``.

    Recipes address a voice as ``ENGINE:VOICE`` (for example ``piper:joe``). The engine
    lists its voices, says whether each is ready offline and which languages it speaks
    (``VoiceInfo.language``, ``languages``; ``"multilingual"`` for any), and synthesises
    text to audio. A step with ``language:`` is refused at validation when its voice does
    not speak it.
    Load models lazily, inside the engine, never at import time.
    """


@hookspec
def register_transcribers(register: Callable[[type], None]) -> None:
    """Register speech-to-text engines: ``register(TranscriberSubclass)``.

    Recipes address a transcriber as ``NAME`` or ``NAME:MODEL`` (``whisper:small.en``).
    A transcriber turns an audio file into a :class:`engine.artifacts.Transcript` with
    word timings where it can. Load models lazily; a model that is not on this machine
    raises :class:`engine.errors.ModelUnavailableError` naming how to get it.
    """


@hookspec
def register_text_generators(register: Callable[[type], None]) -> None:
    """Register text generators: ``register(TextGeneratorSubclass)``.

    A generator subclasses :class:`engine.TextGenerator` and writes summaries, key
    points, posts and threads on request. Recipes select one per step with
    ``generator: NAME`` or ``generator: NAME:MODEL`` (``openai:gpt-4o-mini``), or for
    the whole run with ``defaults: {generator: ...}`` or ``remixer run --generator``.
    ``identity()`` must change whenever the output would, because it is part of the
    cache key.
    """


@hookspec
def register_translators(register: Callable[[type], None]) -> None:
    """Register translators: ``register(TranslatorSubclass)``.

    A translator subclasses :class:`engine.Translator` (``engine/translators.py``), sets
    ``name``, the language ``pairs`` it translates as ``(source, target)`` BCP 47 tags
    (``("*", "*")`` for any pair) and ``offline`` (False when it needs a network service
    or a key), and implements ``translate(texts, source=, target=, glossary=)``: one
    translation per text, in order, glossary terms left as they are. Recipes select it
    with the ``translate`` step's ``engine: NAME[:MODEL]``; ``engine: auto`` takes the
    first offline translator offering the pair. Load models lazily; ``identity()`` must
    change whenever the output would, because it is part of the cache key.
    """


@hookspec
def register_media_providers(register: Callable[[type], None]) -> None:
    """Register stock media providers: ``register(MediaProviderSubclass)``.

    A provider subclasses :class:`engine.MediaProvider` (``engine/stock.py``), sets
    ``name`` and, when the service needs a key, ``api_key_env`` (the environment variable
    that holds it: read at request time, never stored, logged or put in a cache key), and
    implements ``search(query, *, kind, orientation, count)`` returning
    ``engine.StockItem`` objects with the author, page, licence and attribution line the
    credits need. ``download(item, dest_dir)`` is inherited (streamed, atomic, bounded).
    Use the base class's ``get_json`` for requests: it turns a missing or refused key, a
    rate limit, a timeout and a server error into one-line ``engine.errors.StockError``
    messages.
    Providers are only used when a recipe asks for stock media, never by default.
    """


@hookspec
def batch_finished(out_dir: Any, results: list) -> None:
    """Called once after ``remixer run``, to write batch-wide outputs.

    ``out_dir`` is the run's output folder (a ``pathlib.Path``); ``results`` holds one
    ``engine.runner.SourceResult`` per source, with its ``slug``, ``status`` and ``steps``
    (each with ``transform``, ``status`` and the ``files`` it wrote under
    ``out_dir / slug``). The podcast plugin uses it to write one feed for every episode.
    Write atomically (``engine.atomic``); raise nothing for a source that failed.
    """


@hookspec
def register_commands(cli: Any) -> None:
    """Add commands to the ``remixer`` CLI: ``cli`` is the click group.

    Use ``@cli.command()`` as usual. Keep heavy imports inside the command function so
    ``remixer --help`` stays fast.
    """


@hookspec
def check_brand(brand: Any) -> list[tuple[str, str]] | None:
    """Check the parts of a brand file (``engine.brand.Brand``) that only a plugin can.

    Return ``(location, message)`` pairs, such as ``("look.fonts.heading", "font file
    'x.ttf' does not load: ...")``; the location is the field's dotted path. Called by
    ``remixer brand check`` and before any ``remixer run --brand`` starts work, so a
    broken logo fails in one line instead of in the middle of a batch. Paths in ``brand``
    are already absolute. Keep heavy imports inside the function.
    """
