"""Demo data: deterministic customers, accounts, bills and users for trying the four journeys, and
synthetic bills in bulk for benchmarks (`portal demo`, `portal demo --bills N`, and `portal run` on an
empty database). The demo is generated in :mod:`portal.demo.generate`, written by :mod:`portal.demo.load`
and listed by :mod:`portal.demo.describe`; the bulk bills come from :mod:`portal.demo.scale`, and the e2e
tests' own customers (`portal demo customer`) from :mod:`portal.demo.fresh`.
"""
