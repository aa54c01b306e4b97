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
                           RecipeError, RemixerError, SourceError, StockError, TransformError)
from engine.sources import SourceLoader
from engine.stock import MediaProvider, StockItem
from engine.textgen import TextGenerator
from engine.transcribers import Transcriber
from engine.transform import Context, Params, Transform
from engine.voices import Synthesis, VoiceEngine, VoiceInfo

hookimpl = pluggy.HookimplMarker("remixer")

__version__ = "0.1.0"

__all__ = [
    "Artifact", "Audio", "Chapter", "Context", "Document", "Figure", "GeneratorError", "MediaError",
    "MediaProvider", "ModelUnavailableError", "Params", "PluginError", "Point", "RecipeError",
    "RemixerError", "Scene", "Script", "Section", "Segment", "SourceError", "SourceLoader",
    "StockError", "StockItem", "Storyboard", "Text", "TextGenerator", "Transcriber",
    "Transcript", "Visual",
    "Transform", "TransformError", "Turn", "Video", "Synthesis", "VoiceEngine", "VoiceInfo",
    "Word", "hookimpl",
]
