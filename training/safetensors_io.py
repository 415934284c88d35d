"""Minimal pure-numpy safetensors reader/writer and LPRNet exporter."""
import json
import struct

import numpy as np

_DT = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64,
       "I32": np.int32, "U8": np.uint8, "I8": np.int8, "BF16": None}
_NAME = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16", np.dtype(np.float64): "F64",
         np.dtype(np.int64): "I64", np.dtype(np.int32): "I32", np.dtype(np.uint8): "U8",
         np.dtype(np.int8): "I8"}


def save(path, tensors, metadata=None):
    """tensors: dict name -> numpy array; metadata: dict str -> str."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs, off = [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        if a.dtype.byteorder == ">":
            a = a.astype(a.dtype.newbyteorder("<"))
        b = a.tobytes()
        header[name] = {"dtype": _NAME[a.dtype], "shape": list(a.shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def load(path):
    """Returns (tensors dict name -> numpy array, metadata dict)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    base = 8 + n
    out = {}
    for name, info in header.items():
        s, e = info["data_offsets"]
        dt = _DT[info["dtype"]]
        if dt is None:
            raise ValueError(f"unsupported dtype {info['dtype']} for {name}")
        out[name] = np.frombuffer(data[base + s:base + e], dtype=dt).reshape(info["shape"]).copy()
    return out, meta


def export_lprnet(model, path, *, name, alphabet, blank_index, in_channels, color_order,
                  mean, scale, description, patterns=None):
    """Write an LPRNet state dict (F32, no num_batches_tracked) with platetop metadata."""
    sd = model.state_dict()
    tensors = {k: v.detach().cpu().float().numpy() for k, v in sd.items()
               if not k.endswith("num_batches_tracked")}
    meta = {
        "format": "pt",
        "platetop.architecture": "lprnet",
        "platetop.architecture_version": "1",
        "platetop.name": name,
        "platetop.alphabet": json.dumps(list(alphabet), ensure_ascii=False),
        "platetop.blank_index": str(int(blank_index)),
        "platetop.input_width": "94",
        "platetop.input_height": "24",
        "platetop.input_channels": str(int(in_channels)),
        "platetop.color_order": color_order,
        "platetop.mean": repr(float(mean)),
        "platetop.scale": repr(float(scale)),
        "platetop.description": description,
    }
    if patterns:
        meta["platetop.patterns"] = json.dumps(list(patterns), ensure_ascii=False)
    save(path, tensors, meta)
