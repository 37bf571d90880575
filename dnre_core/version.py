"""Library version, recorded in every saved model file."""

__version__ = "0.1.0"
