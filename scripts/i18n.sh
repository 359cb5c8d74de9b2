#!/usr/bin/env bash
# Extract the translatable strings, merge them into each catalogue, and compile the catalogues.
#
#   scripts/i18n.sh          extract + update + compile; fails if a message lacks a translation
#   scripts/i18n.sh --init   also create the French catalogue if it does not exist yet
#
# Msgids are English (in idp/**/*.py: _, gettext, _l, lazy_gettext; in templates: _()).
# New msgids come in untranslated (no fuzzy guessing): translate them in
# idp/translations/<lang>/LC_MESSAGES/messages.po, then run this script again.
set -euo pipefail

cd "$(dirname "$0")/.."
PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
PYTHON="${PYTHON:-.venv/bin/python}"
[ -x "$PYBABEL" ] || PYBABEL=pybabel
[ -x "$PYTHON" ] || PYTHON=python3
DIR=idp/translations
POT="$DIR/messages.pot"
LANGS=(fr)

"$PYBABEL" extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -c "Translators:" \
  --project=idp --version=0.1.0 --copyright-holder="Gouvernement du Québec" -o "$POT" .

for lang in "${LANGS[@]}"; do
  po="$DIR/$lang/LC_MESSAGES/messages.po"
  if [ ! -f "$po" ]; then
    "$PYBABEL" init -i "$POT" -d "$DIR" -l "$lang"
  else
    "$PYBABEL" update -i "$POT" -d "$DIR" -l "$lang" --no-fuzzy-matching --ignore-obsolete
  fi
done

"$PYBABEL" compile -d "$DIR" --statistics

# Every message must be translated and none may be fuzzy: list the ones that are not.
"$PYTHON" - "$DIR" "${LANGS[@]}" <<'PY'
import sys
from babel.messages.pofile import read_po

directory, *langs = sys.argv[1:]
missing = 0
for lang in langs:
    path = f"{directory}/{lang}/LC_MESSAGES/messages.po"
    with open(path, "rb") as fh:
        catalog = read_po(fh)
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            missing += 1
            state = "fuzzy" if message.fuzzy else "untranslated"
            print(f"{path}: {state}: {message.id!r}", file=sys.stderr)
if missing:
    print(f"{missing} message(s) to translate.", file=sys.stderr)
    sys.exit(1)
PY
