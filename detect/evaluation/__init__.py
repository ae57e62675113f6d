"""Evaluation: simulate a fleet with faults, backfill it, replay the detectors, score them."""
