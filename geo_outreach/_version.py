"""The package version, kept apart so that low floors (outputs, osm) can record it."""

__version__ = "0.1.0"
