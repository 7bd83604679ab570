"""Bills: account status, My bills, the online bill and its files."""
