"""Calico support: the selector language, and Calico resources compiled into the IR.

Loading happens through ``netwarden.load`` (``netwarden.load.calico`` registers
the parsers for both API groups); this package is the public surface.

>>> parse_selector("app == 'web'").matches({"app": "web"})
True
"""

from __future__ import annotations

from .._errors import SelectorError
from ..compile.calico import CalicoCompiled, compile_calico
from ..ir.selector import Selector
from .selector import parse_selector

__all__ = ["CalicoCompiled", "Selector", "SelectorError", "compile_calico", "parse_selector"]
