"""Minimal safetensors reader/writer in pure NumPy (no `safetensors` package), plus the
LPRNet exporter whose metadata platetop's Swift loader expects.

File layout: 8-byte little-endian header length N, N bytes of JSON header (padded with
spaces to a multiple of 8), then the data. Header: {name: {"dtype", "shape",
"data_offsets": [begin, end]}, "__metadata__": {str: str}}; offsets are relative to the
data section, tensors are contiguous, little-endian, row-major, in name order.
"""
import json
import struct

import numpy as np

_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32}
_NAMES = {np.dtype(v): k for k, v in _DTYPES.items()}


def save(path, tensors, metadata=None):
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        if a.dtype not in _NAMES:
            a = a.astype(np.float32)
        raw = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _NAMES[a.dtype], "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def load(path):
    """Returns (tensors: dict[str, np.ndarray], metadata: dict[str, str])."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    body = data[8 + n:]
    tensors = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        dt = np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")
        tensors[name] = np.frombuffer(body[b:e], dtype=dt).reshape(info["shape"]).astype(dt.newbyteorder("="))
    return tensors, metadata


def export_lprnet(model, path, *, name, alphabet, blank_index, in_channels, color_order, mean, scale,
                  description, patterns=None, input_width=94, input_height=24, resample="bilinear"):
    """Writes `model.state_dict()` (minus num_batches_tracked) as F32 with platetop metadata
    (`input_width`: 94, the seed's, or another width lprnet.supported_width accepts; `input_height`:
    24, the seed's, or another height lprnet.supported_height accepts)."""
    assert color_order in ("bgr", "rgb", "gray"), color_order
    alphabet = list(alphabet)
    assert 0 <= blank_index < len(alphabet)
    tensors = {k: v.detach().cpu().float().numpy() for k, v in model.state_dict().items()
               if not k.endswith("num_batches_tracked")}
    meta = {
        "format": "pt",
        "platetop.architecture": "lprnet",
        "platetop.architecture_version": "1",
        "platetop.name": name,
        "platetop.alphabet": json.dumps(alphabet, ensure_ascii=False),
        "platetop.blank_index": str(int(blank_index)),
        "platetop.input_width": str(int(input_width)),
        "platetop.input_height": str(int(input_height)),
        "platetop.input_channels": str(int(in_channels)),
        "platetop.color_order": color_order,
        "platetop.mean": repr(float(mean)),
        "platetop.scale": repr(float(scale)),
        "platetop.description": description,
    }
    if getattr(model, "contrast", None) is not None:
        meta["platetop.contrast_std"] = repr(model.contrast[0])
        meta["platetop.contrast_floor"] = repr(model.contrast[1])
    if resample != "bilinear":  # files without the key are bilinear (every model before it)
        meta["platetop.resample"] = resample
    if patterns is not None:
        meta["platetop.patterns"] = json.dumps(list(patterns), ensure_ascii=False)
    save(path, tensors, meta)
