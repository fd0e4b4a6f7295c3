"""Record schemas shared by every stage: one module per record kind."""
