"""Images and rectangles for RecognizeRegions.

``ScanImage`` decodes, orients, previews and clips; ``RegionTemplate`` holds named
rectangles, saved, scaled and applied to a batch.
"""
