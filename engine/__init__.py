"""remixer's engine: the public API for plugin authors.

Import what a plugin needs from here::

    import engine

    @engine.hookimpl
    def register_transforms(register):
        register(MyTransform)
"""

import pluggy

from engine.artifacts import (Artifact, Audio, Chapter, Document, Figure, Point, Scene, Script,
                              Section, Segment, Storyboard, Text, Transcript, Turn, Video,
                              Visual, Word)
from engine.errors import (GeneratorError, MediaError, ModelUnavailableError, PluginError,
                           RecipeError, RemixerError, SourceError, StockError, TransformError,
                           TranslationError)
from engine.sources import ExpandedSource, ExpandSettings, SourceExpander, SourceLoader
from engine.stock import MediaProvider, StockItem
from engine.textgen import TextGenerator
from engine.transcribers import Transcriber
from engine.transform import Context, Params, Transform
from engine.translators import Translator
from engine.voices import Synthesis, VoiceEngine, VoiceInfo

hookimpl = pluggy.HookimplMarker("remixer")

__version__ = "0.1.0"

__all__ = [
    "Artifact", "Audio", "Chapter", "Context", "Document", "Figure", "GeneratorError", "MediaError",
    "MediaProvider", "ModelUnavailableError", "Params", "PluginError", "Point", "RecipeError",
    "RemixerError", "Scene", "Script", "Section", "Segment", "SourceError", "SourceLoader",
    "SourceExpander", "ExpandedSource", "ExpandSettings", "StockError", "StockItem",
    "Storyboard", "Text", "TextGenerator", "Transcriber", "Transcript", "Transform",
    "TransformError", "TranslationError", "Translator", "Turn", "Video", "Visual", "Synthesis",
    "VoiceEngine", "VoiceInfo",
    "Word", "hookimpl",
]
