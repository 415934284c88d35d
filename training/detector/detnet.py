"""The platetop plate detector: a tiny CenterNet-like network (stride 8).

Backbone of 3x3 convolutions (BN + ReLU while training, folded on export), head of a 3x3
conv + ReLU and a 1x1 conv with 5 output channels per stride-8 cell:
  0: centre heat-map logit (sigmoid -> score)
  1, 2: centre offset inside the cell, in cells (x, y)
  3, 4: log(box width / stride), log(box height / stride)
The exported safetensors file holds only plain convolutions `layers.<i>.weight` [out,in,k,k]
and `layers.<i>.bias` [out]; `platetop.layers` (JSON) gives each layer's stride, dilation
and activation, so the Swift engine runs the same list generically.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from safetensors_io import load, save  # noqa: E402

# (out_channels, stride, dilation) of the 3x3 backbone + head convs; all padded by dilation.
SPEC = [(16, 2, 1), (24, 2, 1), (32, 2, 1), (48, 1, 1), (48, 1, 2), (48, 1, 4), (32, 1, 1)]
OUT = 5
STRIDE = 8
MEAN, SCALE = 127.5, 1 / 64.0


class DetNet(nn.Module):
    def __init__(self, spec=SPEC, in_ch=3, bn=True):
        super().__init__()
        self.spec = spec
        layers = []
        c = in_ch
        for (o, s, d) in spec:
            layers.append(nn.Sequential(
                nn.Conv2d(c, o, 3, s, padding=d, dilation=d, bias=not bn),
                nn.BatchNorm2d(o) if bn else nn.Identity(), nn.ReLU(inplace=True)))
            c = o
        self.body = nn.Sequential(*layers)
        self.head = nn.Conv2d(c, OUT, 1)
        nn.init.constant_(self.head.bias, 0.0)
        with torch.no_grad():
            self.head.bias[0] = -4.0  # CenterNet prior: heat starts near 0.02

    def forward(self, x):
        return self.head(self.body(x))


def parse_spec(text):
    """`16s2,24s2,32s2,48,48d2,48d4,32` -> [(16, 2, 1), ..., (48, 1, 2), ...] (channels, stride, dilation)."""
    spec = []
    for item in text.split(","):
        item = item.strip()
        ch, s, d = item, 1, 1
        if "d" in ch:
            ch, d = ch.split("d", 1)
        if "s" in ch:
            ch, s = ch.split("s", 1)
        spec.append((int(ch), int(s), int(d)))
    return spec


def format_spec(spec):
    """The inverse of `parse_spec`."""
    return ",".join(f"{c}" + (f"s{s}" if s > 1 else "") + (f"d{d}" if d > 1 else "") for c, s, d in spec)


def exported_spec(tensors, meta, prefix):
    """The 3x3 layers' (channels, stride, dilation) of an exported network (`prefix` "layers." for
    the detector, "verifier.layers." for its verifier) and the index of its head layer."""
    layers = json.loads(meta[f"platetop.{prefix}"[:-1]])
    return [(int(tensors[f"{prefix}{i}.weight"].shape[0]), l["stride"], l["dilation"])
            for i, l in enumerate(layers[:-1])], len(layers) - 1


def copy_exported(model, tensors, prefix):
    """Copies an exported network's conv weights and biases into a BN-free `model` (body + head)."""
    convs = [seq[0] for seq in model.body] + [model.head]
    with torch.no_grad():
        for i, conv in enumerate(convs):
            conv.weight.copy_(torch.from_numpy(np.array(tensors[f"{prefix}{i}.weight"])))
            conv.bias.copy_(torch.from_numpy(np.array(tensors[f"{prefix}{i}.bias"])))
    return model


def load_exported(path):
    """A DetNet without BN (plain convs with biases, as exported) holding an exported detector's
    weights, for fine-tuning a shipped models/detector.safetensors."""
    tensors, meta = load(path)
    spec, _ = exported_spec(tensors, meta, "layers.")
    return copy_exported(DetNet(spec, in_ch=int(meta["platetop.input_channels"]), bn=False), tensors, "layers.")


def widen(model, spec, seed=0):
    """A BN-free DetNet with layout `spec` (same strides/dilations, channels >= the model's) that
    computes exactly what `model` (BN-free) computes: old weights copied, new channels' inputs
    random (small), their outgoing weights zero, so training starts from the shipped function."""
    assert len(spec) == len(model.spec)
    g = torch.Generator().manual_seed(seed)
    wide = DetNet(spec, in_ch=model.body[0][0].in_channels, bn=False)
    convs_old = [seq[0] for seq in model.body] + [model.head]
    convs_new = [seq[0] for seq in wide.body] + [wide.head]
    with torch.no_grad():
        for old, new in zip(convs_old, convs_new):
            o, i = old.weight.shape[:2]
            assert new.weight.shape[0] >= o and new.weight.shape[1] >= i
            assert new.stride == old.stride and new.dilation == old.dilation
            fan_in = new.weight[0].numel()
            new.weight.copy_(torch.randn(new.weight.shape, generator=g) * (0.5 / fan_in) ** 0.5)
            new.weight[:, i:] = 0  # nothing reads the new input channels yet
            new.weight[:o, :i] = old.weight
            new.bias.zero_()
            new.bias[:o] = old.bias
    return wide


def folded_layers(model):
    """[(weight, bias, stride, dilation, pad, relu)] with BN folded (eval statistics)."""
    out = []
    for (o, s, d), seq in zip(model.spec, model.body):
        conv, bn = seq[0], seq[1]
        w = conv.weight.detach().double()
        b = conv.bias.detach().double() if conv.bias is not None else torch.zeros(o, dtype=torch.float64)
        if isinstance(bn, nn.BatchNorm2d):
            k = bn.weight.detach().double() / torch.sqrt(bn.running_var.double() + bn.eps)
            w = w * k[:, None, None, None]
            b = (b - bn.running_mean.double()) * k + bn.bias.detach().double()
        out.append((w.float().numpy(), b.float().numpy(), s, d, d, True))
    out.append((model.head.weight.detach().numpy(), model.head.bias.detach().numpy(), 1, 1, 0, False))
    return out


def export(model, path, name="platetop-detector", description="", extra_meta=None):
    layers = folded_layers(model)
    tensors, meta_layers = {}, []
    for i, (w, b, s, d, p, relu) in enumerate(layers):
        tensors[f"layers.{i}.weight"] = w.astype("float32")
        tensors[f"layers.{i}.bias"] = b.astype("float32")
        meta_layers.append({"stride": s, "dilation": d, "padding": p, "relu": relu})
    meta = {
        "platetop.architecture": "centernet-tiny",
        "platetop.architecture_version": "1",
        "platetop.name": name,
        "platetop.description": description,
        "platetop.layers": json.dumps(meta_layers, separators=(",", ":")),
        "platetop.stride": str(int(np.prod([sp[1] for sp in model.spec]))),
        "platetop.color_order": "rgb",
        "platetop.input_channels": "3",
        "platetop.mean": repr(MEAN),
        "platetop.scale": repr(SCALE),
        "platetop.input_width": "640",
    }
    if extra_meta:
        meta.update({k: str(v) for k, v in extra_meta.items()})
    save(path, tensors, meta)
    return sum(v.size for v in tensors.values())
