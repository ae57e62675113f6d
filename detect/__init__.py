"""Detect: scheduled detectors that find abnormal behaviour and predict failures."""
