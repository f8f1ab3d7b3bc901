#!/bin/sh
# Put photofind in the applications menu for the current user: the desktop entry (with
# "Open with photofind" for images), the AppStream metainfo and the icon in every hicolor size.
#
#   ./install-desktop.sh              from an unpacked bundle (the script sits beside `photofind`)
#   packaging/linux/install-desktop.sh   after `pip install photofind` / `pipx install photofind`
#   ./install-desktop.sh --uninstall  take it all out again
#
# Needs no Python of its own: in a bundle it reads the bundle's files; after pip it asks the
# Python that `photofind-gui` runs on where the package's resources are.
set -eu

app_id=io.github.photofind.Photofind
data="${XDG_DATA_HOME:-$HOME/.local/share}"
here="$(cd "$(dirname "$0")" && pwd)"
sizes="16 24 32 48 64 128 256 512"

prune() {  # remove folder $1 and then its parents while they are empty, never $data itself
    dir="$1"
    while [ "$dir" != "$data" ] && [ -d "$dir" ] && rmdir "$dir" 2>/dev/null; do
        dir="$(dirname "$dir")"
    done
}

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$data/applications/$app_id.desktop" "$data/metainfo/$app_id.metainfo.xml" \
        "$data/icons/hicolor/scalable/apps/$app_id.svg"
    for size in $sizes; do
        rm -f "$data/icons/hicolor/${size}x${size}/apps/$app_id.png"
    done
    # The caches describe what is left: refreshed when other entries or icons remain, gone
    # with the last one, so an uninstall leaves nothing behind that the install made.
    if ls "$data/applications/"*.desktop >/dev/null 2>&1; then
        command -v update-desktop-database >/dev/null 2>&1 \
            && update-desktop-database "$data/applications" || true
    else
        rm -f "$data/applications/mimeinfo.cache"
    fi
    if [ -n "$(find "$data/icons/hicolor" -type f ! -name icon-theme.cache ! -name index.theme \
            2>/dev/null | head -n 1)" ]; then
        command -v gtk-update-icon-cache >/dev/null 2>&1 \
            && gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
    else
        rm -f "$data/icons/hicolor/icon-theme.cache"
    fi
    prune "$data/applications"
    prune "$data/metainfo"
    prune "$data/icons/hicolor/scalable/apps"
    for size in $sizes; do
        prune "$data/icons/hicolor/${size}x${size}/apps"
    done
    echo "photofind is no longer in your applications menu"
    exit 0
fi

if [ -x "$here/photofind-gui" ] && [ -d "$here/_internal/photofind/assets" ]; then
    gui="$here/photofind-gui"                       # a bundle
    res="$here/_internal/photofind/assets"
elif gui="$(command -v photofind-gui)"; then        # pip / pipx
    python="$(head -n 1 "$gui" | sed 's/^#! *//')"      # the script's own interpreter
    ask='from photofind.appinfo import resource_path; print(resource_path(""))'
    res="$("$python" -c "$ask" 2>/dev/null || python3 -c "$ask")"
else
    echo "photofind-gui not found: install photofind first (pipx install photofind)" >&2
    exit 1
fi

# The entry names `photofind-gui`; write the absolute path in, so the menu needs no PATH.
mkdir -p "$data/applications"
sed "s|^Exec=photofind-gui |Exec=\"$gui\" |" "$res/linux/$app_id.desktop" \
    > "$data/applications/$app_id.desktop"
install -Dm644 "$res/linux/$app_id.metainfo.xml" "$data/metainfo/$app_id.metainfo.xml"
for size in $sizes; do
    install -Dm644 "$res/icons/photofind-$size.png" \
        "$data/icons/hicolor/${size}x${size}/apps/$app_id.png"
done
install -Dm644 "$res/icons/photofind.svg" "$data/icons/hicolor/scalable/apps/$app_id.svg"
command -v update-desktop-database >/dev/null 2>&1 \
    && update-desktop-database "$data/applications" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 \
    && gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
echo "photofind is in your applications menu (Exec: $gui)"
