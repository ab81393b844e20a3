"""The per-study HTML report: one self-contained file (inline CSS, base64 images, no network)."""

from .document import write_report

__all__ = ["write_report"]
