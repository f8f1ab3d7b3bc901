"""Models: what is installed, what the catalog offers, install with progress, import, use.

Which models understand queries in languages other than English is the catalog's word
(`multilingual`); when the system language (QLocale) is not English the dialog says so and
preselects the recommended multilingual model instead of the default.

Installs and imports run on the window's pool (`pool`; without one, the dialog's own):
closing the dialog cancels a download (a new try resumes it), lets an import finish in the
background (the window waits for it when it closes) and drops what either reports after
that (tests/gui/test_dialog_teardown.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QLocale, Qt, QThreadPool
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from photofind.errors import Cancelled
from photofind.gui.workers import TaskGroup
from photofind.modelstore import InstalledModel, ModelStore
from photofind.modelstore.registry import (
    entries,
    multilingual,
    recommended,
    recommended_multilingual,
    summary,
)
from photofind.tasks import (
    Progress,
    ProgressCallback,
    TaskControl,
    status_text,
)

NameRole = Qt.ItemDataRole.UserRole


def install(
    store: ModelStore, name: str, control: TaskControl, progress: ProgressCallback
) -> InstalledModel:
    """The worker's job: plain data only, never the dialog (which may close meanwhile)."""
    return store.install(name, progress=progress, control=control)


def describe(entry: dict) -> str:
    languages = "  · understands many languages" if multilingual(entry) else ""
    return f"{entry['name']}{languages}\n{summary(entry)}\n{entry.get('good_for', '')}"


def speaks_english(locale: QLocale) -> bool:
    return locale.language() in (QLocale.Language.English, QLocale.Language.C)


def language_advice(locale: QLocale) -> tuple[str | None, str]:
    """The model to preselect for a person whose system speaks `locale`, and why (one line;
    empty for English, where the default is the best choice)."""
    if speaks_english(locale):
        return None, ""
    name = recommended_multilingual()
    language = QLocale.languageToString(locale.language())
    if name is None:
        return None, f"Your system language is {language}; the catalog has no multilingual model."
    return name, (
        f"Your system language is {language}: {name} understands queries in {language} and many "
        "other languages; the other models were trained mostly on English."
    )


class ModelDialog(QDialog):
    """Install, import and choose models. `on_use(name)` switches the library to a model."""

    def __init__(
        self,
        store: ModelStore,
        on_use: Callable[[str], None],
        parent=None,
        *,
        locale: QLocale | None = None,
        pool: QThreadPool | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.resize(620, 460)
        self.store = store
        self.cache_dir = cache_dir  # photofind's cache folder: a removed model's files go too
        self.on_use = on_use
        self.tasks = TaskGroup(pool if pool is not None else QThreadPool(self))
        self.control: TaskControl | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Installed</b>"))
        self.installed = QListWidget()
        layout.addWidget(self.installed)
        row = QHBoxLayout()
        self.use_button = QPushButton("Use")
        self.remove_button = QPushButton("Remove")
        self.import_button = QPushButton("Import folder…")
        self.import_button.setToolTip(
            "A model folder made by photofind's export tool, or one in Immich's layout\n"
            "(downloaded from Immich's Hugging Face pages or taken from an Immich server's\n"
            "model cache): it is checked and converted."
        )
        for button in (self.use_button, self.remove_button, self.import_button):
            row.addWidget(button)
        layout.addLayout(row)
        layout.addWidget(QLabel("<b>Available to download</b>"))
        suggested, advice = language_advice(locale or QLocale.system())
        self.language_note = QLabel(advice)
        self.language_note.setWordWrap(True)
        self.language_note.setVisible(bool(advice))
        layout.addWidget(self.language_note)
        self.catalog = QListWidget()
        layout.addWidget(self.catalog)
        row = QHBoxLayout()
        self.install_button = QPushButton("Download and install")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.status = QLabel()
        row.addWidget(self.install_button)
        row.addWidget(self.cancel_button)
        row.addWidget(self.progress, 1)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self.use_button.clicked.connect(self._use)
        self.remove_button.clicked.connect(self._remove)
        self.import_button.clicked.connect(self._import)
        self.install_button.clicked.connect(self._install)
        self.cancel_button.clicked.connect(self._cancel)
        best = suggested or recommended()
        for entry in entries():
            item = QListWidgetItem(describe(entry))
            item.setData(NameRole, entry["name"])
            self.catalog.addItem(item)
            if entry["name"] == best:
                self.catalog.setCurrentItem(item)
        self.refresh()

    def refresh(self) -> None:
        self.installed.clear()
        active = self.store.active_name()
        for model in self.store.installed():
            mark = "  (in use)" if model.name == active else ""
            m = model.manifest
            languages = " · many languages" if m.multilingual else ""
            facts = f"{m.arch} · {m.embed_dim}-d{languages} · {m.license}"
            item = QListWidgetItem(f"{model.name}{mark}\n{facts}")
            item.setData(NameRole, model.name)
            self.installed.addItem(item)

    def _selected(self, widget: QListWidget) -> str | None:
        item = widget.currentItem()
        return item.data(NameRole) if item is not None else None

    def _use(self) -> None:
        name = self._selected(self.installed)
        if name:
            self.store.use(name)
            self.on_use(name)
            self.refresh()

    def _remove(self) -> None:
        name = self._selected(self.installed)
        if name and name != self.store.active_name():
            if self.cache_dir is None:
                self.store.remove(name)
            else:
                from photofind.search.modelcaches import remove_model

                remove_model(self.store, name, self.cache_dir)
            self.refresh()
        elif name:
            self.status.setText("That model is in use; choose another one first.")

    def _import(self) -> None:
        chosen = QFileDialog.getExistingDirectory(
            self, "Choose a model folder (photofind's or Immich's layout)"
        )
        if chosen:
            self.import_folder(Path(chosen))

    def import_folder(self, folder: Path) -> None:
        self.status.setText(f"Checking and copying {folder.name}…")
        self.tasks.run(self.store.import_folder, folder, done=self._installed,
                       failed=self._failed)  # fmt: skip

    def _install(self) -> None:
        name = self._selected(self.catalog)
        if not name:
            return
        self.control = TaskControl()
        self.install_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText(f"Downloading {name}…")
        self.tasks.run(install, self.store, name, self.control, done=self._installed,
                       failed=self._failed, progress=self._progress)  # fmt: skip

    def _progress(self, p: Progress) -> None:
        """A download report, on the GUI thread (run_task queues it from the worker)."""
        fraction = p.fraction
        self.progress.setRange(0, 1000 if fraction is not None else 0)
        self.progress.setValue(int(1000 * fraction) if fraction is not None else 0)
        self.status.setText(status_text(p))

    def _cancel(self) -> None:
        if self.control is not None:
            self.control.cancel()

    def done(self, result: int) -> None:
        """Closing: a download stops at its next block, an import runs on unheard."""
        self._cancel()
        self.tasks.close()
        super().done(result)

    def _installed(self, model) -> None:
        self._idle()
        self.status.setText(f"Installed {model.name}.")
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self._idle()
        if isinstance(exc, Cancelled):
            self.status.setText("Cancelled; nothing was installed. A new try resumes the download.")
        else:
            self.status.setText(str(exc))
            QMessageBox.warning(self, "Models", str(exc))

    def _idle(self) -> None:
        self.install_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.reset()
