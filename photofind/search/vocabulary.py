"""The label vocabulary: label names, their prompts and the templates they go into.

The built-in one is package data (`photofind/assets/labels.json`); tests and callers may
pass their own. A label's text vector is the mean of its prompt in every template (CLIP's
prompt ensembling, which Radford et al. 2021 found worth several points of zero-shot
accuracy over a single "a photo of a {}").
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources

from photofind.search.query import QueryError


@dataclass(frozen=True)
class Vocabulary:
    """Templates with one "{}" each, and (name, prompt) pairs."""

    templates: tuple[str, ...]
    labels: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        if not self.templates or any(t.count("{}") != 1 for t in self.templates):
            raise ValueError("every template needs exactly one {}")

    @classmethod
    def builtin(cls) -> Vocabulary:
        data = json.loads(
            resources.files("photofind").joinpath("assets/labels.json").read_text("utf-8")
        )
        labels = tuple((item["name"], item.get("prompt", item["name"])) for item in data["labels"])
        return cls(tuple(data["templates"]), labels)

    def texts(self, prompt: str) -> list[str]:
        """The prompt in every template."""
        return [template.format(prompt) for template in self.templates]

    def source(self, prompt: str) -> str:
        """What a label's vector is made from; a stored vector with another source is stale."""
        key = json.dumps([prompt, list(self.templates)])
        return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def parse_label(text: str) -> tuple[str, str]:
    """`NAME` or `NAME=PROMPT` (as `photofind tags add` takes them) -> (name, prompt).

    "my car=a red hatchback" names the label "my car" and describes it to the model.
    """
    name, _, prompt = text.partition("=")
    name, prompt = " ".join(name.split()), " ".join(prompt.split())
    if not name:
        raise QueryError(f"a label needs a name, not {text!r}")
    if len(name) > 100 or len(prompt) > 300:
        raise QueryError("a label name is at most 100 characters, its prompt 300")
    return name, prompt or name
