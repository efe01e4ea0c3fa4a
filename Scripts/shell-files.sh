#!/usr/bin/env bash
# Regenerates the man page and the shell completion scripts from the command definitions
# (swift-argument-parser's generators), into Documentation/. Run after changing a command's
# options; ShellFilesTests fails while the committed files are stale.
#
#   bash Scripts/shell-files.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p Documentation/man Documentation/completions
# A fixed date keeps the page the same from one regeneration to the next.
swift package --allow-writing-to-package-directory generate-manual --date 2026-12-03 \
  --authors "clerical developers" >/dev/null
cp .build/plugins/GenerateManual/outputs/clerical/clerical.1 Documentation/man/clerical.1
clerical=$(swift build --show-bin-path)/clerical
swift build --product clerical >/dev/null
"$clerical" --generate-completion-script bash > Documentation/completions/clerical.bash
"$clerical" --generate-completion-script zsh > Documentation/completions/_clerical
"$clerical" --generate-completion-script fish > Documentation/completions/clerical.fish
echo "wrote Documentation/man/clerical.1 and Documentation/completions/{clerical.bash,_clerical,clerical.fish}"
