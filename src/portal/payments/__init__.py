"""Card payments: the Redsys redirect protocol and what builds on it."""
