"""An animated WebP or GIF in the library: indexed, and its tile in the window shows its
first frame, made without decoding any frame past the first (a 100-frame file costs what
its first frame costs, bench figures in the helper's report)."""

from __future__ import annotations

from pathlib import Path

from PIL import GifImagePlugin, Image, ImageDraw, WebPImagePlugin

from tests.gui.shell_fixtures import TIMEOUT, index_folder, model_window

FRAMES = 100
FIRST, LATER = (220, 30, 30), (30, 60, 220)  # the first frame red, every other one blue


def animated(path: Path, frames: int = FRAMES) -> Path:
    pictures = []
    for n in range(frames):
        im = Image.new("RGB", (640, 480), FIRST if n == 0 else LATER)
        ImageDraw.Draw(im).ellipse((n * 4, 140, n * 4 + 200, 340), fill=(240, 240, 240))
        pictures.append(im)
    path.parent.mkdir(parents=True, exist_ok=True)
    options = {"quality": 80, "method": 0} if path.suffix == ".webp" else {}
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=40, loop=0,
                     **options)  # fmt: skip
    return path


def test_an_animated_photo_gets_a_thumbnail_of_its_first_frame(
    qtbot, tmp_path: Path, tiny_model_dir: Path, monkeypatch
) -> None:
    folder = tmp_path / "photos"
    files = [animated(folder / "clip.webp"), animated(folder / "clip.gif")]
    with Image.open(files[0]) as webp, Image.open(files[1]) as gif:
        assert webp.n_frames == gif.n_frames == FRAMES  # Pillow wrote real animations
    frames: list[int] = []
    for plugin in (WebPImagePlugin.WebPImageFile, GifImagePlugin.GifImageFile):
        real_seek = plugin._seek

        def seek(self, frame, *args, _real=real_seek, **kwargs):
            frames.append(frame)
            return _real(self, frame, *args, **kwargs)

        monkeypatch.setattr(plugin, "_seek", seek)
    win = model_window(qtbot, tmp_path, tiny_model_dir)
    index_folder(qtbot, win, folder)
    assert win.folder_state(folder) == "up to date"
    qtbot.waitUntil(lambda: len(win.results.hits) == 2, timeout=TIMEOUT)
    win.view.viewport().repaint()  # cells ask for their thumbnails when painted
    ids = {h.file.id: h.file.path.name for h in win.results.hits}
    qtbot.waitUntil(lambda: all(win.results.has_thumbnail(i) for i in ids), timeout=TIMEOUT)
    # The indexer and the thumbnail jobs (some made while indexing ran) alike.
    assert max(frames, default=0) == 0, f"frames past the first decoded: {sorted(set(frames))}"
    for file_id, name in ids.items():
        image = win.results._pixmaps[file_id].toImage()
        corner = image.pixelColor(4, 4)
        colour = (corner.red(), corner.green(), corner.blue())
        assert all(abs(a - b) < 40 for a, b in zip(colour, FIRST, strict=True)), (name, colour)
        assert abs(image.width() / image.height() - 640 / 480) < 0.02, name
