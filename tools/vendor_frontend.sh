#!/usr/bin/env bash
# Re-vendor the front-end files from the npm registry (see wirlearn/static/vendor/README.md).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent @kern-ux/native@2.7.2 @expo-google-fonts/fira-sans@0.4.1 >/dev/null
mkdir kern fonts
tar xzf kern-ux-native-2.7.2.tgz -C kern
tar xzf expo-google-fonts-fira-sans-0.4.1.tgz -C fonts
vendor="$here/wirlearn/static/vendor/kern"
cp kern/package/dist/kern.min.css "$vendor/kern.min.css"
cp kern/package/LICENSE.md "$vendor/LICENSE.md"
for weight in Regular Italic Medium SemiBold Bold; do
  cp "kern/package/dist/fonts/fira-sans/FiraSans-$weight.woff2" "$vendor/fonts/fira-sans/"
done
for weight in 400Regular 400Regular_Italic 600SemiBold 700Bold; do
  cp "fonts/package/$weight/FiraSans_$weight.ttf" "$here/wirlearn/core/fonts/"
done
cp fonts/package/LICENSE_FONT "$here/wirlearn/core/fonts/OFL.txt"
cp fonts/package/LICENSE_FONT "$vendor/fonts/OFL.txt"
echo "vendored @kern-ux/native 2.7.2 and Fira Sans TTF 0.4.1"
