"""Generate netwarden's compact Kubernetes field schema from the published OpenAPI schemas.

The input is the ``_definitions.json`` that the ``kubernetes-validate``
package ships for each Kubernetes release (JSON Schema converted from the
API server's OpenAPI document, one definition per Go API type). The output
keeps only what strict decoding needs — for every type reachable from the
kinds netwarden reads, its field names and each field's JSON type — in a
file of a few hundred kilobytes that the loader reads once.

Run it again when moving to a newer Kubernetes::

    .venv/bin/pip install kubernetes-validate==1.37.0
    .venv/bin/python scripts/gen_k8s_schema.py 1.37.0

Type expressions in the output: ``string``, ``int32``, ``int64``, ``number``,
``boolean``, ``int-or-string``, ``quantity``, ``time``, ``bytes``, ``any``
(free-form JSON), ``[]T`` (a list of T), ``{}T`` (a map of string to T), or
the name of a struct type in ``types``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "src" / "netwarden" / "load" / "schemas"

# (API group, kind) → the OpenAPI definition of that kind's served version.
KINDS = {
    ("", "Namespace"): "io.k8s.api.core.v1.Namespace",
    ("", "Pod"): "io.k8s.api.core.v1.Pod",
    ("apps", "Deployment"): "io.k8s.api.apps.v1.Deployment",
    ("apps", "ReplicaSet"): "io.k8s.api.apps.v1.ReplicaSet",
    ("apps", "StatefulSet"): "io.k8s.api.apps.v1.StatefulSet",
    ("apps", "DaemonSet"): "io.k8s.api.apps.v1.DaemonSet",
    ("batch", "Job"): "io.k8s.api.batch.v1.Job",
    ("batch", "CronJob"): "io.k8s.api.batch.v1.CronJob",
    ("networking.k8s.io", "NetworkPolicy"): "io.k8s.api.networking.v1.NetworkPolicy",
    ("", "Service"): "io.k8s.api.core.v1.Service",
    ("discovery.k8s.io", "EndpointSlice"): "io.k8s.api.discovery.v1.EndpointSlice",
    ("networking.k8s.io", "Ingress"): "io.k8s.api.networking.v1.Ingress",
}
# ``kind: List`` (metav1.List, what ``kubectl get -o yaml`` prints) has no OpenAPI
# definition of its own; its items are whole objects, each checked by its own kind.
LIST = {"apiVersion": "string", "kind": "string",
        "metadata": "apimachinery.pkg.apis.meta.v1.ListMeta", "items": "[]any"}
# Special JSON forms, by definition name: their Go types decode JSON themselves.
SPECIAL = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "int-or-string",
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "quantity",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": "time",
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": "time",
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": "any",
    "io.k8s.apimachinery.pkg.runtime.RawExtension": "any",
}
PREFIX = "io.k8s."


def _short(name: str) -> str:
    return name.removeprefix(PREFIX)


class Generator:
    def __init__(self, definitions: dict[str, Any]) -> None:
        self.defs = definitions
        self.types: dict[str, dict[str, str]] = {}

    def ref(self, ref: str) -> str:
        name = ref.rsplit("/", 1)[-1]
        if name in SPECIAL:
            return SPECIAL[name]
        short = _short(name)
        if short not in self.types:
            self.types[short] = {}  # placeholder: breaks cycles (JSONSchemaProps)
            self.types[short] = self.struct(self.defs[name])
        return short

    def struct(self, schema: dict[str, Any]) -> dict[str, str]:
        props = schema.get("properties", {})  # a struct without fields has none
        return {key: self.expr(value) for key, value in sorted(props.items())}

    def expr(self, schema: dict[str, Any]) -> str:
        if "$ref" in schema:
            return self.ref(schema["$ref"])
        if "allOf" in schema and len(schema["allOf"]) == 1:
            return self.expr(schema["allOf"][0])
        types = schema.get("type", [])
        types = [types] if isinstance(types, str) else [t for t in types if t != "null"]
        kind = types[0] if types else "any"
        fmt = schema.get("format", "")
        if kind == "string":
            return "bytes" if fmt == "byte" else "time" if fmt == "date-time" else "string"
        if kind == "integer":
            return "int32" if fmt == "int32" else "int64"
        if kind in ("number", "boolean"):
            return kind
        if kind == "array":
            return "[]" + self.expr(schema.get("items", {}))
        if kind == "object":
            if "properties" in schema:
                raise ValueError("inline struct types are not expected in the API schemas")
            extra = schema.get("additionalProperties")
            return "{}" + self.expr(extra) if isinstance(extra, dict) else "any"
        return "any"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", help="Kubernetes version, e.g. 1.37.0")
    parser.add_argument("--definitions", type=Path,
                        help="a _definitions.json (default: kubernetes-validate's)")
    args = parser.parse_args(argv)
    path = args.definitions
    if path is None:
        import kubernetes_validate  # type: ignore[import-untyped]  # generator only

        base = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
        path = base / f"v{args.version}-local-strict" / "_definitions.json"
    definitions = json.loads(path.read_text())["$defs"]
    gen = Generator(definitions)
    kinds = {f"{group}/{kind}": gen.ref(name) for (group, kind), name in KINDS.items()}
    versions = {f"{group}/{kind}": _versions(definitions[name])
                for (group, kind), name in KINDS.items()}
    gen.ref("io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta")
    gen.types["List"] = LIST
    kinds["/List"] = "List"
    versions["/List"] = ["v1"]
    out = {
        "kubernetes": args.version,
        "source": f"kubernetes-validate {args.version}: JSON Schema of the Kubernetes "
                  f"v{args.version} OpenAPI document",
        "kinds": kinds,
        "versions": versions,
        "types": dict(sorted(gen.types.items())),
    }
    major_minor = ".".join(args.version.split(".")[:2])
    target = OUT_DIR / f"kubernetes-{major_minor}.json"
    target.write_text(json.dumps(out, separators=(",", ":"), sort_keys=False) + "\n")
    print(f"{target.relative_to(ROOT)}: {len(gen.types)} types, {target.stat().st_size} bytes",
          file=sys.stderr)
    return 0


def _versions(schema: dict[str, Any]) -> list[str]:
    return sorted({gvk["version"] for gvk in schema.get("x-kubernetes-group-version-kind", [])})


if __name__ == "__main__":
    sys.exit(main())
