#!/usr/bin/env bash
# Copies the Fivetran API contract the tests run against from the steering folder beside the checkout
# (../shared/fivetran-api by default, or the folder given as $1) into tests/contract/. Run it when the contract
# changes, review `git diff tests/contract`, and commit the result: the tests never read ../shared themselves.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="${1:-$here/../../../shared/fivetran-api}"
for f in openapi-connections.json openapi-connections.normalized.json spotify_ads-service-config.json \
         seed-spotify-ads-api-configuration.txt; do
  install -m 0644 "$src/$f" "$here/$f"
done
echo "refreshed tests/contract from $src"
