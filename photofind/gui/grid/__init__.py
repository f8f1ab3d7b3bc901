"""The photo grid: a justified layout of whole photos under date headers (see `view.py`)."""
