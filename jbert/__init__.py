"""jbert: Japanese BERT fine-tuning toolkit."""

__version__ = "0.1.0"
