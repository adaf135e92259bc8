"""Services in words, as every people-facing format writes them.

>>> services_text([{"protocol": "TCP", "ports": [[80, 80], [8000, 8080]]},
...                {"protocol": "UDP", "ports": [[53, 53]]}])
'TCP 80, 8000-8080; UDP 53'
>>> services_text("all"), services_text([]), services_text(True)
('all', '', 'yes')
"""

from __future__ import annotations

from typing import Any

__all__ = ["services_text"]


def services_text(value: Any) -> str:
    """A matrix cell in words: ``all``, ``""`` (nothing), ``TCP 80, 443; UDP 53``, yes/no."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value == "all":
        return "all"
    parts = []
    for entry in value:
        spans = entry.get("ports") or entry.get("types")
        name = entry["protocol"]
        if name == "other":
            excluded = entry.get("except")
            parts.append("other protocols" + (f" except {', '.join(excluded)}" if excluded
                                               else ""))
        elif spans is None:
            parts.append(name)
        else:
            parts.append(f"{name} " + ", ".join(str(a) if a == b else f"{a}-{b}"
                                                for a, b in spans))
    return "; ".join(parts)
