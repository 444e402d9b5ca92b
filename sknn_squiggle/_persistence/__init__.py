"""Safe model files: save and load estimators as plain arrays and JSON, and
whole pipelines as skops files that reference only trusted types.

- :mod:`.codec`: plain values to JSON and arrays, and back;
- :mod:`.schema`: what a file holds, derived from the library's registries,
  and every check made on load;
- :mod:`.files`: writing and reading the archive, and telling the kinds of
  file apart;
- :mod:`.pipelines`: any other scikit-learn object, written and read with
  skops after checking its types against a trusted list (imported, with
  skops, only when such a file is written or read).
"""

from .files import load, save

__all__ = ["load", "save"]
