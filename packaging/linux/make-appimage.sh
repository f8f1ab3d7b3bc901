#!/bin/sh
# An AppImage of the bundle: one file that runs on most Linux distributions without installing.
#
#   packaging/linux/make-appimage.sh [BUNDLE] [OUT]   (defaults: packaging/dist/photofind, packaging/dist)
#
# Lays out the AppDir (AppRun, desktop entry, icon, AppStream metainfo, the bundle in opt/),
# then runs appimagetool (https://github.com/AppImage/appimagetool; not in Debian or PyPI, so
# not run on the machine that wrote this script: put `appimagetool` on PATH, or name it in
# $APPIMAGETOOL). Without it the AppDir is left in OUT and the script exits 2; `AppDir/AppRun
# --version` runs the bundle from it. The AppImage has the bundle's portability: at least the
# build machine's glibc.
set -eu

here="$(cd "$(dirname "$0")" && pwd)"
bundle="$(cd "${1:-$here/../dist/photofind}" && pwd)"
out="${2:-$here/../dist}"
app_id=io.github.photofind.Photofind
res="$bundle/_internal/photofind/assets"
version="$("$bundle/photofind" --version | awk '{print $NF}')"
arch="$(uname -m)"
appdir="$out/photofind.AppDir"

rm -rf "$appdir"
mkdir -p "$appdir/opt" "$appdir/usr/share/metainfo"
cp -a "$bundle" "$appdir/opt/photofind"
rm -f "$appdir/opt/photofind/install-desktop.sh"   # AppImage integration tools do this
cat > "$appdir/AppRun" <<'RUN'
#!/bin/sh
# photofind FILE... (from "Open with") opens the window; anything else is the command line,
# and no arguments at all open the window too.
here="$(dirname "$(readlink -f "$0")")"
if [ $# -gt 0 ] && [ -e "$1" ]; then
    exec "$here/opt/photofind/photofind-gui" "$@"
fi
exec "$here/opt/photofind/photofind" "$@"
RUN
chmod 755 "$appdir/AppRun"
sed "s|^Exec=photofind-gui |Exec=AppRun |" "$res/linux/$app_id.desktop" > "$appdir/$app_id.desktop"
cp "$res/icons/photofind-256.png" "$appdir/$app_id.png"
ln -s "$app_id.png" "$appdir/.DirIcon"
cp "$res/linux/$app_id.metainfo.xml" "$appdir/usr/share/metainfo/$app_id.appdata.xml"

tool="${APPIMAGETOOL:-$(command -v appimagetool || true)}"
if [ -z "$tool" ]; then
    echo "AppDir ready: $appdir (appimagetool not found; see the top of this script)" >&2
    exit 2
fi
ARCH="$arch" "$tool" --no-appstream "$appdir" "$out/photofind-$version-$arch.AppImage"
echo "$out/photofind-$version-$arch.AppImage"
