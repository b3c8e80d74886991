"""`gan_train eval --update-card`: the figures of an evaluation, under the command that made them,
in the model card's "## Metrics" section."""

from __future__ import annotations

import re
from pathlib import Path

from .base import EvalError


def card_value(value) -> str:
    """4 significant digits; float noise (|x| < 1e-12, e.g. a KID spread of 2.5e-16) reads 0."""
    if isinstance(value, float):
        return "0" if abs(value) < 1e-12 else f"{value:.4g}"
    return str(value)


def update_card(folder: Path, metrics: dict, command: str) -> Path:
    """Write these figures, under the command that made them, into the model card's "## Metrics".

    Each eval command gets its own table: running the same command again replaces its table, another
    command (say, a --no-fid run at a larger --num-samples) adds one. "Not evaluated." goes away.
    """
    card = Path(folder) / "README.md"
    if not card.is_file():
        raise EvalError(f"--update-card: {card} does not exist (only local save_pretrained folders have a card)")

    rows = [f"| {k} | {card_value(v)} |" for k, v in metrics.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v]
    block = f"`{command}`\n\n| metric | value |\n|---|---|\n" + "\n".join(rows) + "\n"
    text = card.read_text()
    section = re.search(r"## Metrics\n(.*?)(?=\n!\[|\n## |\Z)", text, flags=re.S)
    # earlier tables, one per command: a line in backticks, then its table
    blocks = re.findall(r"(`[^`\n]+`\n\n(?:\|[^\n]*\|\n)+)", section.group(1)) if section else []
    blocks = [b for b in blocks if not b.startswith(f"`{command}`\n")] + [block]
    body = "## Metrics\n\n" + "\n".join(blocks)
    if section:
        text = text[: section.start()] + body + text[section.end():]
    else:
        text = text.rstrip("\n") + "\n\n" + body
    card.write_text(text)
    return card
