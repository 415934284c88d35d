#!/usr/bin/env python3
"""Widens an exported platetop LPRNet to larger layer widths, keeping what it computes.

  widen.py models/latin.safetensors /work/cache/platetop/widened.safetensors --widths 48,96,192,192

The new model starts where the trained one is (same reads, same validation loss within a
rounding), so `train.py --init OUT --widths ...` spends its steps on the extra capacity instead
of relearning from scratch - the only way a wider model gets far on a 2-core CPU.

Every old channel keeps its index; new channels go after the old ones. That layout survives the
seed's channel-stride pools (every 2nd / 4th channel kept), because the old widths are multiples of
the strides: the kept old channels stay the first kept ones, in order. Then:
  * an old output never reads a new channel (those weights start at zero, and learn);
  * a new output channel gets PyTorch's default initialisation (it computes a real feature);
  * a new batch-normalised channel starts with scale 0.1, so the new channels barely move the
    global-context normalisation f / mean(f^2), which averages over all channels of a map;
  * the container's weights of the old context channels are multiplied by C_old / C_new, the
    factor by which the (near-zero) new channels shrink that mean.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from lprnet import LPRNet, exported_context_kernel, exported_widths  # noqa: E402
from safetensors_io import export_lprnet, load  # noqa: E402

NEW_BN_SCALE = 0.1


def channel_spaces(widths, class_num, in_channels):
    """Size of every channel axis of the network, by name."""
    c0, b1, b2, head = widths
    return {"in": in_channels, "c0": c0, "m4": b1 // 4, "b1": b1, "b1k": (b1 + 1) // 2,
            "m8": b2 // 4, "b2": b2, "m11": b2 // 4, "b2k": (b2 + 3) // 4, "head": head,
            "cls": class_num}


def layer_axes():
    """(state-dict prefix, output axis, input axis or None for batch norm)."""
    axes = [("backbone.0", "c0", "in"), ("backbone.1", "c0", None)]
    for block, cin, mid, cout, bn in (("backbone.4", "c0", "m4", "b1", "backbone.5"),
                                      ("backbone.8", "b1k", "m8", "b2", "backbone.9"),
                                      ("backbone.11", "b2", "m11", "b2", "backbone.12")):
        axes += [(f"{block}.block.0", mid, cin), (f"{block}.block.2", mid, mid),
                 (f"{block}.block.4", mid, mid), (f"{block}.block.6", cout, mid), (bn, cout, None)]
    axes += [("backbone.16", "head", "b2k"), ("backbone.17", "head", None),
             ("backbone.20", "cls", "head"), ("backbone.21", "cls", None)]
    return axes


def widen(old_tensors, old_widths, new_widths, class_num, in_channels, seed=0):
    torch.manual_seed(seed)
    model = LPRNet(class_num, in_channels=in_channels, widths=new_widths,
                   context_kernel=exported_context_kernel(old_tensors))
    fresh = model.state_dict()  # PyTorch's default initialisation, for the new output channels
    old_sp = channel_spaces(old_widths, class_num, in_channels)
    new_sp = channel_spaces(new_widths, class_num, in_channels)
    for k, stride in (("b1", 2), ("b2", 4)):
        if old_sp[k] % stride:
            raise SystemExit(f"old width {k}={old_sp[k]} is not a multiple of its pool stride {stride}")
    for k in old_sp:
        if new_sp[k] < old_sp[k]:
            raise SystemExit(f"new width of {k} ({new_sp[k]}) is below the old one ({old_sp[k]})")
    out = {}
    for prefix, o_ax, i_ax in layer_axes():
        no, oo = new_sp[o_ax], old_sp[o_ax]
        if i_ax is None:
            w = torch.full((no,), NEW_BN_SCALE)
            b = torch.zeros(no)
            mean = torch.zeros(no)
            var = torch.ones(no)
            for name, t in (("weight", w), ("bias", b), ("running_mean", mean), ("running_var", var)):
                t[:oo] = torch.from_numpy(old_tensors[f"{prefix}.{name}"])
                out[f"{prefix}.{name}"] = t
            continue
        oi = old_sp[i_ax]
        w = fresh[f"{prefix}.weight"].clone()
        w[:oo] = 0                      # old outputs ignore new inputs ...
        w[:oo, :oi] = torch.from_numpy(old_tensors[f"{prefix}.weight"])  # ... and keep their weights
        b = fresh[f"{prefix}.bias"].clone()
        b[:oo] = torch.from_numpy(old_tensors[f"{prefix}.bias"])
        out[f"{prefix}.weight"], out[f"{prefix}.bias"] = w, b
    # Container: columns are the concatenated contexts f0 (c0), f1 (b1), f2 (b2), f3 (cls), each with
    # the container's time-step taps (one for the seed's 1x1).
    ow = torch.from_numpy(old_tensors["container.0.weight"])
    w = torch.zeros(fresh["container.0.weight"].shape)
    o_at, n_at = 0, 0
    for ax in ("c0", "b1", "b2", "cls"):
        oc, nc = old_sp[ax], new_sp[ax]
        w[:, n_at:n_at + oc] = ow[:, o_at:o_at + oc] * (oc / nc)
        o_at, n_at = o_at + oc, n_at + nc
    out["container.0.weight"] = w
    out["container.0.bias"] = torch.from_numpy(old_tensors["container.0.bias"]).clone()
    model.load_state_dict({**fresh, **out})  # fresh only adds BN's num_batches_tracked
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--widths", required=True, help="new c0,b1,b2,head")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    tensors, meta = load(a.model)
    alphabet = json.loads(meta["platetop.alphabet"])
    in_channels = int(meta["platetop.input_channels"])
    old_widths = exported_widths(tensors)
    new_widths = tuple(int(v) for v in a.widths.split(","))
    model = widen(tensors, old_widths, new_widths, len(alphabet), in_channels, a.seed)
    desc = f"{meta.get('platetop.description', '')} [widened {old_widths} -> {new_widths} by widen.py]"
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    export_lprnet(model, a.out, name=meta.get("platetop.name", "latin"), alphabet=alphabet,
                  blank_index=int(meta["platetop.blank_index"]), in_channels=in_channels,
                  color_order=meta["platetop.color_order"], mean=float(meta["platetop.mean"]),
                  scale=float(meta["platetop.scale"]), description=desc,
                  input_width=int(meta.get("platetop.input_width", 94)),
                  input_height=int(meta.get("platetop.input_height", 24)),
                  resample=meta.get("platetop.resample", "bilinear"))
    print(f"{a.model} {old_widths} -> {a.out} {new_widths}: {model.parameter_count()} parameters")


if __name__ == "__main__":
    main()
