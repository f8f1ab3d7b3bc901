"""The desktop app (PySide6). All Qt code lives here; the core below knows nothing of Qt."""
