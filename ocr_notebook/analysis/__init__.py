"""Analysis of recognized texts on plain data: search, comparison, corrections, export rows.

Nothing here imports the result models at run time (only under ``TYPE_CHECKING``):
``OCRResult`` and ``OCRResultCollection`` hand their texts to these functions.
"""
