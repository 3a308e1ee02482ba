"""Result records -> what a front door shows: text for the terminal (text.py), a notebook MIME
bundle (mime.py). Renderers are found by record kind (registry.py) in render/kinds/."""

from .text import render_text

__all__ = ["render_text"]
