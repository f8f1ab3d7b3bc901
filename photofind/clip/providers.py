"""Which ONNX Runtime execution providers to use, and opening sessions that survive a bad one.

DirectML on Windows and CoreML on macOS when the installed onnxruntime has them, else CPU.
`PHOTOFIND_PROVIDERS` (comma-separated, e.g. "CPUExecutionProvider") overrides the choice, so a
user with a misbehaving GPU driver can get going without a code change.

This is the only module that imports onnxruntime (tests/e2e/test_privacy.py checks), so it
can switch ONNX Runtime's telemetry off before the library loads. ONNX Runtime 1.32's Linux
wheel starts Microsoft's 1DS telemetry client when its extension loads: it writes a device id
and an event queue (OS, CPU, executable path, network type) to
~/.cache/Microsoft/DeveloperTools/.onnxruntime, meant for upload. Only ORT_DISABLE_TELEMETRY,
read at load time, keeps the client from starting; `disable_telemetry_events()` afterwards
only stops this process's events (it is the documented switch on Windows), so both are set.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from photofind.errors import ModelError

TELEMETRY_ENV = "ORT_DISABLE_TELEMETRY"
os.environ[TELEMETRY_ENV] = "1"  # before the import: read once, when the library loads

import onnxruntime as ort  # noqa: E402 - must follow the telemetry switch

ort.disable_telemetry_events()

log = logging.getLogger(__name__)

PROVIDERS_ENV = "PHOTOFIND_PROVIDERS"
CPU = "CPUExecutionProvider"
_PREFERRED = {"win32": "DmlExecutionProvider", "darwin": "CoreMLExecutionProvider"}


def choose_providers(requested: Sequence[str] | None = None) -> list[str]:
    """The providers to try, best first, always ending with CPU."""
    available = set(ort.get_available_providers())
    if requested is None:
        env = os.environ.get(PROVIDERS_ENV, "").strip()
        requested = [p.strip() for p in env.split(",") if p.strip()] if env else None
    if requested is not None:
        unknown = [p for p in requested if p not in available]
        for name in unknown:
            log.warning("execution provider %s is not available here; skipping it", name)
        chosen = [p for p in requested if p in available]
    else:
        preferred = _PREFERRED.get(sys.platform)
        chosen = [preferred] if preferred is not None and preferred in available else []
    if CPU not in chosen:
        chosen.append(CPU)
    return chosen


def default_threads() -> int:
    return max(1, os.cpu_count() or 1)


def inference_session(
    path: Path, providers: Sequence[str], threads: int | None = None, *, prepack: bool = True
) -> ort.InferenceSession:
    """An inference session on the first provider that works; CPU as the last resort.

    A provider that fails to initialise (driver, missing DLL) costs a warning, not the app.
    `prepack=False` keeps ONNX Runtime from copying every MatMul weight into its packed
    layout at load: a text query runs the graph once, and the copy (about 0.2 s and the
    weights' size in memory for a ViT-B text graph) would cost more than it saves; with
    weights in a mapped file (`photofind.clip.graphweights`) the session then opens in tens
    of milliseconds. Batched image encoding keeps it.
    """
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or default_threads()
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    # Idle ONNX Runtime threads spin by default, burning the cores the photo decoders need.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if not prepack:
        options.add_session_config_entry("session.disable_prepacking", "1")
    attempts = [list(providers)] if list(providers) == [CPU] else [list(providers), [CPU]]
    last: Exception | None = None
    for attempt in attempts:
        try:
            return ort.InferenceSession(str(path), sess_options=options, providers=attempt)
        except Exception as exc:  # onnxruntime raises its own untyped errors
            last = exc
            if attempt != [CPU]:
                log.warning(
                    "could not use %s for %s (%s); falling back to CPU",
                    attempt[0],
                    path.name,
                    str(exc).splitlines()[0] if str(exc) else exc,
                )
    first = str(last).splitlines()[0] if last and str(last) else repr(last)
    raise ModelError(f"cannot load {path.name} from {path.parent}: {first}")


def save_with_weights_file(source: Path, target: Path, weights_name: str) -> None:
    """Write the graph of `source` to `target` unchanged (no graph optimisation), with every
    initializer of 1 KiB or more in `target.parent / weights_name` (ONNX external data, laid
    out so that ONNX Runtime maps it rather than reading it). ModelError if ORT cannot."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 3
    options.optimized_model_filepath = str(target)
    options.add_session_config_entry(
        "session.optimized_model_external_initializers_file_name", weights_name
    )
    options.add_session_config_entry(
        "session.optimized_model_external_initializers_min_size_in_bytes", "1024"
    )  # small constants (axes, shapes) stay inline: shape inference must read them
    options.add_session_config_entry("session.disable_prepacking", "1")
    try:
        ort.InferenceSession(str(source), sess_options=options, providers=[CPU])
    except Exception as exc:  # onnxruntime raises its own untyped errors
        first = str(exc).splitlines()[0] if str(exc) else repr(exc)
        raise ModelError(f"cannot rewrite {source.name} from {source.parent}: {first}") from None
