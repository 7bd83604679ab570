"""Public pages that belong to no feature: the home page with the "Your service" menu."""
