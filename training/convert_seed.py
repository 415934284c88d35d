#!/usr/bin/python3
"""Converts the seed LPRNet (sirius-ai/LPRNet_Pytorch Final_LPRNet_model.pth) to platetop's
safetensors format.  Usage: /usr/bin/python3 training/convert_seed.py IN.pth OUT.safetensors"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lprnet import LPRNet  # noqa: E402
from safetensors_io import export_lprnet  # noqa: E402

PROVINCES = "京沪津渝冀晋蒙辽吉黑苏浙皖闽赣鲁豫鄂湘粤桂琼川贵云藏陕甘青宁新"
SEED_ALPHABET = list(PROVINCES) + list("0123456789") + list("ABCDEFGHJKLMNPQRSTUVWXYZ") + ["I", "O", "-"]
SEED_BLANK = 67
assert len(SEED_ALPHABET) == 68 and SEED_ALPHABET[SEED_BLANK] == "-"


def load_seed(path, per_sample_context=False):
    model = LPRNet(class_num=len(SEED_ALPHABET), per_sample_context=per_sample_context)
    state = torch.load(path, map_location="cpu")
    model.load_state_dict(state, strict=True)
    model.eval()
    return model


def convert(src, dst):
    model = load_seed(src)
    export_lprnet(model, dst, name="seed-lprnet-cn",
                  alphabet=SEED_ALPHABET, blank_index=SEED_BLANK, in_channels=3, color_order="bgr",
                  mean=127.5, scale=0.0078125,
                  description="Seed LPRNet (sirius-ai/LPRNet_Pytorch, Apache-2.0), Chinese plates, 68 classes")
    return model


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: convert_seed.py IN.pth OUT.safetensors")
    convert(sys.argv[1], sys.argv[2])
    print(f"wrote {sys.argv[2]}")
