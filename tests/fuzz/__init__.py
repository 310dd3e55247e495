"""Mutation fuzzer over the fixtures: ``mutate`` builds cases, ``runner`` runs and judges them; ``python -m tests.fuzz`` runs it for longer than CI does."""
