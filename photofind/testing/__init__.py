"""Helpers for tests, benches and the dev tools: synthetic photos the tiny CLIP understands.

Shipped with the package (Pillow only, a few kB) so tests, `bench/` and `models/train_tiny.py`
import it by name instead of patching `sys.path`.
"""
