"""The registry of network kinds: each network class registers itself with its config class
(``@register_kind("wholebody", WholeBodyConfig)``), so checkpoint I/O and presets find the
class for a saved ``kind`` or a config object without listing them. Imports nothing of the
package's networks: a module that registers never imports its readers."""

from __future__ import annotations

from robosmplx.errors import ConfigError

_KINDS: dict[str, tuple[type, type]] = {}  # kind -> (config class, network class)


def register_kind(kind: str, config_cls: type):
    """Class decorator: ``kind`` names the network class and its ``config_cls`` in checkpoints."""

    def add(cls: type) -> type:
        known = _KINDS.get(kind)
        if known is not None and known != (config_cls, cls):
            raise ConfigError(f"network kind {kind!r} is registered twice ({known[1].__name__})")
        cls.kind = kind
        _KINDS[kind] = (config_cls, cls)
        return cls

    return add


def network_kinds() -> dict[str, tuple[type, type]]:
    """kind -> (config class, network class) of every registered network."""
    return dict(_KINDS)


def kind_of(cfg) -> str:
    """The kind whose config class ``cfg`` is an instance of."""
    for kind, (cfg_cls, _) in _KINDS.items():
        if isinstance(cfg, cfg_cls):
            return kind
    raise ConfigError(f"{type(cfg).__name__} is not a robosmplx network config")


def network_class(cfg) -> type:
    """The network class a config object builds."""
    return _KINDS[kind_of(cfg)][1]
