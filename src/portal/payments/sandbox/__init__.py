"""The sandbox bank: a stand-in card gateway for development and tests (see app.py)."""
