"""Result records -> what a front door shows: text for the terminal (text.py)."""

from .text import render_text

__all__ = ["render_text"]
