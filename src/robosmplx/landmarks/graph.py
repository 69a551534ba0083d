"""A small interpreter for TensorFlow.js graph models (``model.json`` + weight shards).

The person detector (NanoDet, ``persons.py``) is published in the npm registry only in the
TensorFlow.js graph format: a TensorFlow ``GraphDef`` written as JSON plus binary weight shards.
Running it needs neither TensorFlow nor TensorFlow.js: such a graph is a few hundred nodes of a
few dozen standard ops, evaluated here with PyTorch (convolutions, resizing, pooling) and plain
tensor ops, in NHWC like TensorFlow. The ops implemented are those of NanoDet's and BlazePose's
TF.js graphs (its output matched LiteRT's to 0.002 px on BlazePose Full's TF.js
conversion); an unknown op is a clear error naming the model and the op.

Semantics follow TensorFlow's op definitions (``SAME`` padding splits the odd pixel to the
bottom/right, ``ResizeBilinear`` honours ``align_corners``/``half_pixel_centers``).
"""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

_DTYPES = {
    "float32": (np.float32, 4), "int32": (np.int32, 4), "bool": (np.bool_, 1),
    "float16": (np.float16, 2), "uint8": (np.uint8, 1), "uint16": (np.uint16, 2),
}  # fmt: skip


class GraphError(RuntimeError):
    pass


def _s(attr: dict, key: str, default: str = "") -> str:
    v = attr.get(key, {}).get("s")
    return base64.b64decode(v).decode() if v is not None else default


def _ints(attr: dict, key: str) -> list[int]:
    return [int(i) for i in attr.get(key, {}).get("list", {}).get("i", [])]


def _f(attr: dict, key: str, default: float = 0.0) -> float:
    return float(attr.get(key, {}).get("f", default))


def _b(attr: dict, key: str) -> bool:
    return bool(attr.get(key, {}).get("b", False))


def load_weights(model_json: Path, spec: dict) -> dict[str, torch.Tensor]:
    """The graph's constants from its weight shards (float16-quantised weights widened)."""
    out: dict[str, torch.Tensor] = {}
    for group in spec["weightsManifest"]:
        data = b"".join((model_json.parent / p).read_bytes() for p in group["paths"])
        off = 0
        for w in group["weights"]:
            shape = [int(s) for s in w["shape"]]
            q = w.get("quantization")
            dtype = q["dtype"] if q else w["dtype"]
            np_type, size = _DTYPES[dtype]
            n = int(np.prod(shape)) if shape else 1
            raw = np.frombuffer(data, np_type, n, off).reshape(shape)
            off += n * size
            if q and dtype != "float16":
                raw = raw.astype(np.float32) * q["scale"] + q["min"]
            target = _DTYPES[w["dtype"]][0]
            out[w["name"]] = torch.from_numpy(np.array(raw, dtype=target))
        if off != len(data):
            raise GraphError(f"{model_json}: weight shards hold {len(data)} bytes, manifest {off}")
    return out


class GraphModel:
    """``GraphModel(path)(inputs={name: array}, outputs=[names]) -> [np.ndarray]``."""

    def __init__(self, model_json: str | Path):
        self.path = Path(model_json)
        try:
            spec = json.loads(self.path.read_text())
            self.nodes = {n["name"]: n for n in spec["modelTopology"]["node"]}
            self.consts = load_weights(self.path, spec)
        except (OSError, ValueError, KeyError) as e:
            raise GraphError(
                f"{self.path}: not a readable TensorFlow.js graph model ({e}); "
                "run `robosmplx landmarks fetch` again"
            ) from e
        self.signature = spec.get("signature", {})
        unknown = {n["op"] for n in self.nodes.values()} - set(_OPS) - {"Const", "Placeholder"}
        if unknown:
            raise GraphError(f"{self.path}: unsupported ops {sorted(unknown)}")

    def __call__(self, inputs: dict, outputs: list[str]) -> list[np.ndarray]:
        values: dict[str, list] = {}
        for name, arr in inputs.items():
            values[name.split(":")[0]] = [torch.as_tensor(np.asarray(arr))]
        with torch.inference_mode():
            res = [self._value(o, values) for o in outputs]
        return [r.numpy() if isinstance(r, torch.Tensor) else np.asarray(r) for r in res]

    def _value(self, ref: str, values: dict):
        name, _, idx = ref.partition(":")
        if name not in values:
            self._evaluate(name, values)
        return values[name][int(idx or 0)]

    def _evaluate(self, target: str, values: dict) -> None:
        # iterative post-order walk: these graphs are deeper than Python's recursion allows
        stack = [target]
        while stack:
            name = stack[-1]
            if name in values:
                stack.pop()
                continue
            node = self.nodes.get(name)
            if node is None:
                raise GraphError(f"{self.path}: graph has no node {name!r}")
            deps = [i.split(":")[0] for i in node.get("input", []) if not i.startswith("^")]
            todo = [d for d in deps if d not in values]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            op = node["op"]
            if op == "Const":
                if name not in self.consts:
                    raise GraphError(f"{self.path}: constant {name!r} has no weights")
                values[name] = [self.consts[name]]
                continue
            if op == "Placeholder":
                raise GraphError(f"{self.path}: input {name!r} not given")
            args = [
                values[i.split(":")[0]][int(i.partition(":")[2] or 0)]
                for i in node.get("input", [])
                if not i.startswith("^")
            ]
            try:
                out = _OPS[op](args, node.get("attr", {}))
            except Exception as e:  # noqa: BLE001 - name the node that failed
                raise GraphError(f"{self.path}: op {op} at {name!r} failed: {e}") from e
            values[name] = out if isinstance(out, list) else [out]


# ----------------------------------------------------------------------------- ops
def _same_pad(x: torch.Tensor, k: tuple[int, int], s: tuple[int, int], d=(1, 1), value=0.0):
    """Pad an NCHW tensor as TensorFlow's SAME does (odd pixel to the bottom/right)."""
    pads = []
    for size, kk, ss, dd in zip(x.shape[2:], k, s, d):
        eff = (kk - 1) * dd + 1
        total = max((math.ceil(size / ss) - 1) * ss + eff - size, 0)
        pads.append((total // 2, total - total // 2))
    return F.pad(x, (pads[1][0], pads[1][1], pads[0][0], pads[0][1]), value=value)


def _conv(args, attr, depthwise: bool, fused: bool):
    x, w = args[0].float(), args[1].float()
    if _s(attr, "data_format", "NHWC") != "NHWC":
        raise GraphError("only NHWC convolutions")
    strides, dil = _ints(attr, "strides") or [1, 1, 1, 1], _ints(attr, "dilations") or [1] * 4
    s, d = (strides[1], strides[2]), (dil[1], dil[2])
    xc = x.permute(0, 3, 1, 2)
    kh, kw = w.shape[0], w.shape[1]
    pad = _s(attr, "padding", "VALID")
    if pad == "SAME":
        xc = _same_pad(xc, (kh, kw), s, d)
    elif pad == "EXPLICIT":
        e = _ints(attr, "explicit_paddings")
        xc = F.pad(xc, (e[4], e[5], e[2], e[3]))
    if depthwise:  # filter H W C M -> (C*M) 1 H W
        c, m = w.shape[2], w.shape[3]
        wt = w.permute(2, 3, 0, 1).reshape(c * m, 1, kh, kw)
        y = F.conv2d(xc, wt, stride=s, dilation=d, groups=c)
    else:  # filter H W I O -> O I H W
        y = F.conv2d(xc, w.permute(3, 2, 0, 1), stride=s, dilation=d)
    y = y.permute(0, 2, 3, 1)
    if fused:
        extra = args[2:]
        for op in (base64.b64decode(v).decode() for v in attr["fused_ops"]["list"]["s"]):
            if op == "BiasAdd":
                y = y + extra[0].float()
            elif op == "Relu":
                y = torch.relu(y)
            elif op == "Relu6":
                y = torch.clamp(y, 0.0, 6.0)
            elif op == "LeakyRelu":
                y = F.leaky_relu(y, _f(attr, "leakyrelu_alpha", 0.2))
            elif op == "Prelu":
                y = torch.where(y >= 0, y, y * extra[1].float())
            elif op == "Elu":
                y = F.elu(y)
            elif op == "Sigmoid":
                y = torch.sigmoid(y)
            else:
                raise GraphError(f"fused op {op}")
    return y.contiguous()


def _resize_bilinear(args, attr):
    x, size = args[0].float(), [int(v) for v in args[1].tolist()]
    n, h, w, c = x.shape
    ac, hp = _b(attr, "align_corners"), _b(attr, "half_pixel_centers")

    def coords(out_n: int, in_n: int):
        i = torch.arange(out_n, dtype=torch.float32)
        if ac and out_n > 1:
            src = i * (in_n - 1) / (out_n - 1)
        elif hp:
            src = (i + 0.5) * (in_n / out_n) - 0.5
        else:
            src = i * (in_n / out_n)
        src = src.clamp(min=0.0)
        lo = torch.floor(src).long().clamp(max=in_n - 1)
        hi = (lo + 1).clamp(max=in_n - 1)
        return lo, hi, (src - lo.float()).clamp(0.0, 1.0)

    y0, y1, fy = coords(size[0], h)
    x0, x1, fx = coords(size[1], w)
    top = x[:, y0] * (1 - fy)[None, :, None, None] + x[:, y1] * fy[None, :, None, None]
    return top[:, :, x0] * (1 - fx)[None, None, :, None] + top[:, :, x1] * fx[None, None, :, None]


def _max_pool(args, attr):
    k, s = _ints(attr, "ksize"), _ints(attr, "strides")
    xc = args[0].float().permute(0, 3, 1, 2)
    if _s(attr, "padding") == "SAME":
        xc = _same_pad(xc, (k[1], k[2]), (s[1], s[2]), value=-math.inf)
    return F.max_pool2d(xc, (k[1], k[2]), (s[1], s[2])).permute(0, 2, 3, 1).contiguous()


def _axis(t: torch.Tensor, a) -> int:
    a = int(a.item()) if isinstance(a, torch.Tensor) else int(a)
    return a + t.dim() if a < 0 else a


def _binary(fn):
    return lambda a, attr: fn(a[0], a[1])


def _split_v(args, attr):
    x, sizes, axis = args[0], args[1].tolist(), _axis(args[0], args[2])
    if -1 in sizes:
        sizes[sizes.index(-1)] = x.shape[axis] - (sum(sizes) + 1)
    return list(torch.split(x, sizes, dim=axis))


def _pad(args, attr):
    x, p = args[0], args[1].tolist()
    flat = [v for pair in reversed(p) for v in pair]
    value = float(args[2].item()) if len(args) > 2 else 0.0
    return F.pad(x, flat, value=value)


def _sparse_to_dense(args, attr):
    idx, shape, vals, default = args
    out = torch.full([int(s) for s in shape.reshape(-1).tolist()], default.item(),
                     dtype=vals.dtype)  # fmt: skip
    idx = idx.long().reshape(-1, max(len(shape.reshape(-1)), 1))
    out[tuple(idx.t())] = vals
    return out


_OPS = {
    "Identity": lambda a, attr: a[0],
    "Add": _binary(torch.add), "AddV2": _binary(torch.add), "Sub": _binary(torch.sub),
    "Mul": _binary(torch.mul), "RealDiv": _binary(torch.div),
    "Relu": lambda a, attr: torch.relu(a[0]), "Relu6": lambda a, attr: a[0].clamp(0.0, 6.0),
    "LeakyRelu": lambda a, attr: F.leaky_relu(a[0], _f(attr, "alpha", 0.2)),
    "Sigmoid": lambda a, attr: torch.sigmoid(a[0]),
    "Conv2D": lambda a, attr: _conv(a, attr, False, False),
    "_FusedConv2D": lambda a, attr: _conv(a, attr, False, True),
    "DepthwiseConv2dNative": lambda a, attr: _conv(a, attr, True, False),
    "FusedDepthwiseConv2dNative": lambda a, attr: _conv(a, attr, True, True),
    "MaxPool": _max_pool,
    "ResizeBilinear": _resize_bilinear,
    "Reshape": lambda a, attr: a[0].reshape([int(v) for v in a[1].reshape(-1).tolist()]),
    "Transpose": lambda a, attr: a[0].permute(*[int(v) for v in a[1].tolist()]),
    "ConcatV2": lambda a, attr: torch.cat(list(a[:-1]), dim=_axis(a[0], a[-1])),
    "SplitV": _split_v,
    "Pad": _pad, "PadV2": _pad,
    "SparseToDense": _sparse_to_dense,
}  # fmt: skip
