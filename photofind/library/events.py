"""The task vocabulary, kept importable from its old place: it lives in `photofind.tasks`."""

from photofind.tasks import Progress, ProgressCallback, ProgressMeter, TaskControl

__all__ = ["Progress", "ProgressCallback", "ProgressMeter", "TaskControl"]
