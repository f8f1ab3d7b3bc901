"""Graphs whose weights live in a sibling file that ONNX Runtime maps into memory.

An ONNX graph with its weights inline is one protobuf message: ONNX Runtime parses all of it
and copies every weight out before a session exists. For a ViT-B text graph (250 MB) that is
0.6 s of every cold query, longer than everything else a query does. The same graph with its
weights as ONNX external data (`textual.onnx` plus `textual.onnx.data`) opens in tens of
milliseconds: the graph file is small, and ONNX Runtime maps the weights file instead of
reading it (measured on the random-init ViT-B-32-256 export: 0.59 s -> 0.04 s; the pages are
the page cache's, shared with every other photofind process).

So the model store keeps graphs in that form. `externalize_folder` rewrites every graph of a
model folder that still carries its weights inline: ONNX Runtime writes the graph unchanged
(no optimisation, so nothing machine-specific is baked in) with the weights beside it, the
rewritten graph must give the same outputs as the original on a probe input, and the manifest
then lists the new files with their sha256. It runs on a work folder that is not in use (the
model store's install, import and upgrade all go through one, see
`photofind.modelstore.store`), so a crash leaves the installed model as it was.
See docs/design.md, "The model folder".
"""

from __future__ import annotations

import json
import logging
from pathlib import Path, PurePosixPath

import numpy as np

from photofind import atomicfile
from photofind.clip.manifest import MANIFEST, Manifest, read_manifest, sha256_file
from photofind.errors import ModelError

log = logging.getLogger(__name__)

WEIGHTS_SUFFIX = ".data"  # textual.onnx -> textual.onnx.data
_LOOSE_WEIGHTS = {".weight", ".bin"}  # one file per tensor, as torch.onnx writes them
_TOLERANCE = 1e-5  # the rewrite runs the same kernels: outputs agree to rounding


def weights_name(graph: str) -> str:
    """The weights file that goes with `graph` (`visual.onnx` -> `visual.onnx.data`)."""
    return graph + WEIGHTS_SUFFIX


def inline_graphs(manifest: Manifest) -> list[str]:
    """The listed graphs that still carry their weights inline.

    A graph with a weights file listed beside it is left alone: ours (`<graph>.data`) or one
    published that way (Immich's large models: `model.onnx_data` and `*.weight` files in the
    graph's folder), which ONNX Runtime already reads without parsing."""
    return [
        name
        for name in manifest.files
        if name.endswith(".onnx") and not _weights_beside(name, manifest.files)
    ]


def _weights_beside(graph: str, files: dict[str, str]) -> bool:
    """Whether a listed file holds weights of `graph`: one named after it (`<graph>.data`,
    `model.onnx_data`), or loose tensor files (`*.weight`) in a folder holding only this graph."""
    folder = PurePosixPath(graph).parent
    siblings = [PurePosixPath(f) for f in files if f != graph and PurePosixPath(f).parent == folder]
    if any(str(f).startswith(graph) for f in siblings):
        return True
    alone = not any(f.suffix == ".onnx" for f in siblings)
    return alone and any(f.suffix in _LOOSE_WEIGHTS for f in siblings)


def externalize_folder(folder: Path) -> list[str]:
    """Rewrite every inline graph of `folder` with its weights in a mapped file, check each
    against the original, and update manifest.json; return the graphs rewritten.

    `folder` must not be in use (the store passes its install work folder). A graph whose
    rewrite fails, disagrees with it or cannot be checked stays as it is (a warning): it
    loads more slowly, but a model that works is never refused for it.
    """
    manifest = read_manifest(folder)
    todo = inline_graphs(manifest)
    if not todo:
        return []
    data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    files: dict[str, str] = dict(data["files"])
    done: list[str] = []
    for name in todo:
        graph = folder / name
        partial = graph.with_name(f".{graph.name}.rewrite")
        weights = folder / weights_name(name)
        try:
            _rewrite(graph, partial, weights.name, manifest.image_size)
            atomicfile.fsync_file(weights)
            atomicfile.replace(partial, graph)
        except ModelError as exc:
            log.warning("keeping %s of %s with its weights inline: %s", name, manifest.name, exc)
            weights.unlink(missing_ok=True)
            continue
        except BaseException:
            weights.unlink(missing_ok=True)
            raise
        finally:
            partial.unlink(missing_ok=True)
        done.append(name)
        files[name] = sha256_file(graph)
        files[weights_name(name)] = sha256_file(weights)
        log.info("stored %s of %s with its weights in %s", name, manifest.name, weights.name)
    if done:
        data["files"] = dict(sorted(files.items()))
        atomicfile.write_text(folder / MANIFEST, json.dumps(data, indent=2) + "\n")
    return done


def _rewrite(graph: Path, target: Path, weights: str, image_size: tuple[int, int]) -> None:
    """Write the rewrite to `target` (+ `weights`); ModelError unless it gives the original's
    outputs on a probe input (ModelError too when the original itself will not take one)."""
    from photofind.clip.providers import CPU, inference_session, save_with_weights_file

    save_with_weights_file(graph, target, weights)
    before = inference_session(graph, [CPU], threads=1, prepack=False)
    feed = _probe(before, image_size)
    try:
        expected = before.run(None, feed)
    except Exception as exc:  # onnxruntime's own errors
        raise ModelError(f"no probe input to check it with ({str(exc).splitlines()[0]})") from None
    after = inference_session(target, [CPU], threads=1, prepack=False)
    try:
        same = all(
            np.asarray(old).shape == np.asarray(new).shape
            and np.allclose(old, new, atol=_TOLERANCE, rtol=_TOLERANCE)
            for old, new in zip(expected, after.run(None, feed), strict=True)
        )
    except Exception:  # the rewrite does not even take the input
        same = False
    if not same:
        raise ModelError("it gives other results once its weights are stored apart")


def _probe(session, image_size: tuple[int, int]) -> dict[str, np.ndarray]:  # ort session
    """One input per graph input, deterministic: a symbolic batch is 1, a picture's symbolic
    height and width the manifest's, any other symbolic size 8 (a text length); integers are
    token ids and masks of ones."""
    rng = np.random.default_rng(0)
    feed: dict[str, np.ndarray] = {}
    for i, spec in enumerate(session.get_inputs()):
        picture = len(spec.shape) == 4
        shape = [_probe_size(axis, dim, picture, image_size) for axis, dim in enumerate(spec.shape)]
        kind = spec.type  # e.g. "tensor(float)", "tensor(int64)"
        if "int" in kind:
            ints = np.int32 if "int32" in kind else np.int64
            feed[spec.name] = np.full(shape, 1 if i else 3, dtype=ints)
        else:
            floats = np.float16 if "float16" in kind else np.float32
            feed[spec.name] = rng.standard_normal(shape).astype(floats)
    return feed


def _probe_size(axis: int, dim: object, picture: bool, image_size: tuple[int, int]) -> int:
    if isinstance(dim, int) and dim > 0:
        return dim  # fixed by the graph
    if axis == 0:
        return 1  # the batch
    if picture and axis >= 2:
        return image_size[axis - 2]  # [batch, 3, height, width]
    return 8  # a text length, or anything else
