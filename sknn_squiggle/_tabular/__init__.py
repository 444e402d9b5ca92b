"""Building blocks of the tabular estimators (private).

``_encoder.TableEncoder`` turns a raw table (a pandas DataFrame or an array
with numeric, boolean, string and categorical columns and missing values) into
the dense float input of a tabular network, following the RealMLP-TD
preprocessing recipe.
"""
