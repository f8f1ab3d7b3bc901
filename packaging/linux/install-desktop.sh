#!/usr/bin/env bash
# Register photofind with the desktop (menu entry, icon, "Open with photofind" for images)
# for the current user. Run after `pip install photofind` or from an unpacked bundle.
set -euo pipefail
res="$(python3 -c 'import photofind.appinfo as a; print(a.resource_path(""))' 2>/dev/null \
      || echo "$(dirname "$0")/../photofind/resources")"
share="${XDG_DATA_HOME:-$HOME/.local/share}"
install -Dm644 "$res/linux/io.github.photofind.Photofind.desktop" \
    "$share/applications/io.github.photofind.Photofind.desktop"
install -Dm644 "$res/linux/io.github.photofind.Photofind.metainfo.xml" \
    "$share/metainfo/io.github.photofind.Photofind.metainfo.xml"
for size in 16 24 32 48 64 128 256 512; do
    install -Dm644 "$res/icons/photofind-$size.png" \
        "$share/icons/hicolor/${size}x${size}/apps/io.github.photofind.Photofind.png"
done
install -Dm644 "$res/icons/photofind.svg" \
    "$share/icons/hicolor/scalable/apps/io.github.photofind.Photofind.svg"
command -v update-desktop-database >/dev/null && update-desktop-database "$share/applications" || true
echo "photofind is in your applications menu"
