"""Errors a user can act on. The CLI prints them as one line, without a traceback."""


class RoboSMPLXError(Exception):
    """Base class: the message says what was wrong, with which file, and what to do."""


class ShapeError(RoboSMPLXError, ValueError):
    """A tensor or array has the wrong shape."""


class ModelFileError(RoboSMPLXError, FileNotFoundError):
    """A body-model file is missing or malformed."""


class ConfigError(RoboSMPLXError, ValueError):
    """A config file or override is invalid."""


class DataError(RoboSMPLXError, ValueError):
    """A dataset file or sample is invalid."""


class CheckpointError(RoboSMPLXError, ValueError):
    """A checkpoint is missing, malformed or does not match the model."""


class InputError(RoboSMPLXError, ValueError):
    """A user input (image, video, box file) cannot be used."""
