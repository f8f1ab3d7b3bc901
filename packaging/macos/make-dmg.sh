#!/bin/sh
# A .dmg of the macOS app (not built or run here: hdiutil, codesign and notarytool exist only
# on macOS). After `python3 packaging/build.py --no-gui` on a Mac (dist/photofind.app):
#
#   packaging/macos/make-dmg.sh            -> packaging/dist/photofind-<version>-<arch>.dmg
#
# With SIGN_IDENTITY ("Developer ID Application: ...") it signs the app with the hardened
# runtime first; with NOTARY_PROFILE (a `xcrun notarytool store-credentials` profile) it also
# notarises and staples the .dmg, so Gatekeeper opens it without warnings. Without either,
# the .dmg works but macOS asks the user to allow it (right-click > Open).
set -eu

here="$(cd "$(dirname "$0")" && pwd)"
dist="$here/../dist"
app="$dist/photofind.app"
[ -d "$app" ] || { echo "no $app: run packaging/build.py first" >&2; exit 1; }
version="$("$app/Contents/MacOS/photofind" --version | awk '{print $NF}')"
dmg="$dist/photofind-$version-$(uname -m).dmg"

if [ -n "${SIGN_IDENTITY:-}" ]; then
    codesign --force --deep --options runtime --timestamp --sign "$SIGN_IDENTITY" "$app"
    codesign --verify --strict --verbose=2 "$app"
fi

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications"        # drag the app onto it to install
cp -R "$app/Contents/Resources/LICENSES" "$stage/Licences"
rm -f "$dmg"
hdiutil create -volname "photofind $version" -srcfolder "$stage" -fs HFS+ -format UDZO \
    -ov "$dmg"

if [ -n "${SIGN_IDENTITY:-}" ]; then
    codesign --force --timestamp --sign "$SIGN_IDENTITY" "$dmg"
fi
if [ -n "${NOTARY_PROFILE:-}" ]; then
    xcrun notarytool submit "$dmg" --keychain-profile "$NOTARY_PROFILE" --wait
    xcrun stapler staple "$dmg"
fi
echo "$dmg"
