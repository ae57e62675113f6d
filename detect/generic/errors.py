"""Errors raised by the generic detectors and their CSV edge.

Every error names the offending thing and says what to do about it::

    GenericDetectError                  (ValueError)
    ├── InputFileError                  the file cannot be read or parsed at all
    ├── MissingColumnError              a named column (timestamp, --columns) is not in the file
    ├── NonNumericColumnError           a feature column holds text that is not a number
    ├── TimestampError                  unparseable or out-of-order timestamps
    └── NotEnoughTrainingRowsError      the training prefix is too short to learn "normal"
"""

from __future__ import annotations


class GenericDetectError(ValueError):
    """Base of every error raised by :mod:`detect.generic`."""


class InputFileError(GenericDetectError):
    """The input file cannot be read or has no usable rows."""


class MissingColumnError(GenericDetectError):
    """A column named by the caller is not in the file."""


class NonNumericColumnError(GenericDetectError):
    """One or more feature columns hold values that are not numbers."""


class TimestampError(GenericDetectError):
    """Timestamps cannot be parsed, or rows are not in time order."""


class NotEnoughTrainingRowsError(GenericDetectError):
    """The training prefix is shorter than the detectors need."""
