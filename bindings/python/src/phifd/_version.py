"""The version of this package, which is also the library version it requires."""

VERSION = "0.1.0"
