#!/usr/bin/env bash
# Copies the precompiled NHS.UK frontend from npm into static/ so that the service serves every
# asset itself (no CDN). The web fonts are hosted by NHS.UK only, so their @font-face rules are
# dropped and the stylesheet falls back to Arial, as the design system intends.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(node -p 'require("./package.json").dependencies["nhsuk-frontend"]')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "nhsuk-frontend@$version" >/dev/null && tar xzf "nhsuk-frontend-$version.tgz")
dist="$work/package/dist/nhsuk"
rm -rf static/vendor/nhsuk static/root/assets
mkdir -p static/vendor/nhsuk static/root/assets
python3 - "$dist/nhsuk-frontend.min.css" static/vendor/nhsuk/nhsuk-frontend.min.css <<'PY'
import re, sys
css = open(sys.argv[1], encoding="utf-8").read()
css = re.sub(r"@font-face\{[^}]*assets\.nhs\.uk[^}]*\}", "", css)
css = re.sub(r"/\*# sourceMappingURL=[^*]*\*/", "", css)
open(sys.argv[2], "w", encoding="utf-8").write(css)
PY
sed 's|//# sourceMappingURL=.*$||' "$dist/nhsuk-frontend.min.js" > static/vendor/nhsuk/nhsuk-frontend.min.mjs
cp -r "$dist/assets/images" static/root/assets/images
cp "$dist/assets/manifest.json" static/root/assets/manifest.json
# Browsers and bookmarking tools ask for /favicon.ico whatever the page links to.
cp "$dist/assets/images/favicon.ico" static/root/favicon.ico
echo "nhsuk-frontend $version vendored"
