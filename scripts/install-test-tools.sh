#!/usr/bin/env bash
# Installs the system tools the test suite calls, where they are missing (Debian/Ubuntu, as
# root or through sudo); the tests fail, never skip, without them: desktop-file-validate,
# appstreamcli, update-desktop-database / gtk-update-icon-cache (install-desktop.sh), strace
# (the privacy test's socket guard), openssl (the test CA), zsh and fish (the completion
# scripts are checked by them), and Xvfb with the libraries Qt's
# xcb platform loads (tests/journeys runs the real window on an X display).
packages="desktop-file-utils appstream gtk-update-icon-cache strace openssl zsh fish xvfb libxcb-cursor0
    libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0
    libxcb-render-util0 libxcb-image0 libegl1 libgl1"
missing=""
for package in $packages; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" \
        || missing="$missing $package"
done
if [ -n "$missing" ]; then
    echo "installing the test tools:$missing"
    export DEBIAN_FRONTEND=noninteractive
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q >/dev/null
    # shellcheck disable=SC2086
    $sudo apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
