"""Safe model files: save and load estimators as plain arrays and JSON.

- :mod:`.codec`: plain values to JSON and arrays, and back;
- :mod:`.schema`: what a file holds, derived from the library's registries,
  and every check made on load;
- :mod:`.files`: writing and reading the archive.
"""

from .files import load, save

__all__ = ["load", "save"]
