"""Simulators: a heat-pump fleet with injected faults and known ground truth."""
