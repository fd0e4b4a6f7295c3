"""Training exports (Safe-SFT, GDPO, preference pairs), reward functions, Hugging Face release."""
