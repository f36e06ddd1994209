"""Pricing: what each line should be paid."""
