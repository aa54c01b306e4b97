"""Built-in prompt templates of the ``openai`` generator (``string.Template`` files).

A recipe overrides any of them with ``llm: {prompts: FOLDER}``: a file in FOLDER with
the same name replaces the built-in one. This file only makes the folder package data.
"""
