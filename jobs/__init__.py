"""SAQ worker settings and task functions. Tasks are thin: they call portal services."""
