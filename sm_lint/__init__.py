"""sm-lint: catch wrong calls to TensorFlow SavedModel signatures before they run."""

__version__ = "0.1.0"
