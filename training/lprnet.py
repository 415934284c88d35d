"""The LPRNet family shared by the converter, the reference script and training.

With the default widths this is the seed architecture of sirius-ai/LPRNet_Pytorch
(`model/LPRNet.py`), with identical state_dict keys (`backbone.N.*`, `container.0.*`).

widths = (c0, b1, b2, head):
  backbone.0   conv 3x3 in_channels -> c0            (+ BN 1, ReLU 2: kept f0)
  backbone.3   max-pool 3x3 stride 1
  backbone.4   small_basic_block c0 -> b1            (+ BN 5, ReLU 6: kept f1)
  backbone.7   MaxPool3d (1,3,3) stride (2,1,2): keeps channels 0,2,4,... -> ceil(b1/2)
  backbone.8   small_basic_block ceil(b1/2) -> b2    (+ BN 9, ReLU 10)
  backbone.11  small_basic_block b2 -> b2            (+ BN 12, ReLU 13: kept f2)
  backbone.14  MaxPool3d (1,3,3) stride (4,1,2): keeps channels 0,4,8,... -> ceil(b2/4)
  backbone.16  conv (1,4) ceil(b2/4) -> head         (+ BN 17, ReLU 18)
  backbone.20  conv (13,1) head -> class_num         (+ BN 21, ReLU 22: kept f3)
  container.0  conv 1x1 (c0 + b1 + b2 + class_num) -> class_num, then mean over H; with
               context_kernel k > 1 a (1,k) conv with k//2 zero columns each side, so each time
               step also weighs the context of its k//2 neighbours on either side (the seed: k = 1).

Input is [N, in_channels, H, W]; logits are [N, class_num, T], T the last of feature_widths(W) (18 for the seed's
W = 94). The seed's context pools only fit W = 94; at any other width the f0/f1 context maps are
averaged over 5-row bands and then over T columns by adaptive average pooling, and the
f2 pool (4,10) stride (4,2) fits whenever the f2 map is even-width (see `supported_width`).
H is the seed's 24 (every context map then 4 rows high, like f3) or a taller input (see
`supported_height`): the context maps then differ in height, so each is averaged over its own rows
before the container; at H = 24 that is the same sum, since the container is linear and the output
is its mean over H.
"""
import torch
import torch.nn as nn

INPUT_WIDTH = 94
INPUT_HEIGHT = 24


def feature_widths(width):
    """Widths of f0, f1, f2 and the CTC time steps T for an input `width` pixels wide."""
    w0 = width - 2                     # conv 3x3
    w1 = w0 - 2                        # max-pool 3x3 s1, block 1
    w2 = (w1 - 3) // 2 + 1             # max-pool 3x3 s(1,2), blocks 2, 3
    w3 = (w2 - 3) // 2 + 1             # max-pool 3x3 s(1,2)
    return w0, w1, w2, w3 - 3          # conv (1,4)


def supported_width(width):
    """Input widths the engine runs: 94 (the seed) or any width >= 94 whose f2 map is even-wide, so
    that the seed's f2 context pool yields exactly T columns (94, 97, 98, 101, 102, ..., 110, ..., 118, ...)."""
    return width == INPUT_WIDTH or (width > INPUT_WIDTH and feature_widths(width)[2] % 2 == 0)


def supported_height(height):
    """Input heights the engine runs: the seed's 24, or 25 to 96 rows (more rows per character; the
    network is the same, its context maps taller)."""
    return INPUT_HEIGHT <= height <= 96


def _adaptive_context(f, t):
    """f0/f1 context for widths other than 94: mean over 5-row bands (as the seed's height
    pooling), then adaptive average pooling to `t` columns (windows [floor(i*W/t), ceil((i+1)*W/t)),
    which the Swift engine's LPRNetGeometry reproduces)."""
    f = nn.functional.avg_pool2d(f, kernel_size=(5, 1), stride=(5, 1))
    return nn.functional.adaptive_avg_pool2d(f, (f.shape[2], t))


def exported_context_kernel(tensors):
    """The container's kernel width k of an exported LPRNet (1 for the seed's 1x1 container)."""
    return int(tensors["container.0.weight"].shape[3])


def exported_widths(tensors):
    """The widths (c0, b1, b2, head) of an exported LPRNet, from its tensors' shapes."""
    return tuple(int(tensors[k].shape[0]) for k in ("backbone.0.weight", "backbone.4.block.6.weight",
                                                    "backbone.8.block.6.weight", "backbone.16.weight"))


def normalise_contrast(x, std, floor):
    """[N, C, H, W] -> each image (all its channels together) at mean 0 and standard deviation `std`,
    its own deviation (population) taken as at least `floor`; computed in float32."""
    xf = x.float()
    m = xf.mean(dim=(1, 2, 3), keepdim=True)
    s = (xf - m).pow(2).mean(dim=(1, 2, 3), keepdim=True).sqrt().clamp_min(floor)
    return ((xf - m) * (std / s)).to(x.dtype)


def exported_contrast(meta):
    """(std, floor) from an exported model's platetop.contrast_* metadata, or None."""
    if "platetop.contrast_std" not in meta:
        return None
    return float(meta["platetop.contrast_std"]), float(meta["platetop.contrast_floor"])


class small_basic_block(nn.Module):  # noqa: N801 (seed name, keeps `.block.N` keys)
    def __init__(self, ch_in, ch_out):
        super().__init__()
        mid = ch_out // 4
        self.block = nn.Sequential(
            nn.Conv2d(ch_in, mid, kernel_size=1),
            nn.ReLU(),
            nn.Conv2d(mid, mid, kernel_size=(3, 1), padding=(1, 0)),
            nn.ReLU(),
            nn.Conv2d(mid, mid, kernel_size=(1, 3), padding=(0, 1)),
            nn.ReLU(),
            nn.Conv2d(mid, ch_out, kernel_size=1),
        )

    def forward(self, x):
        return self.block(x)


def _channel_stride_pool(x, channel_stride):
    """MaxPool3d((1,3,3), (s,1,2)) applied to a 4-D tensor, as the seed does.

    PyTorch treats a 4-D input of MaxPool3d as unbatched (C=N, D=channels, H, W), so the
    depth stride picks channels 0, s, 2s, ... . Written explicitly so it is well defined for
    any batch size and matches the seed exactly."""
    return nn.functional.max_pool2d(x[:, ::channel_stride], kernel_size=3, stride=(1, 2))


class _ChannelStridePool(nn.Module):
    def __init__(self, channel_stride):
        super().__init__()
        self.channel_stride = channel_stride

    def forward(self, x):
        return _channel_stride_pool(x, self.channel_stride)


class LPRNet(nn.Module):
    def __init__(self, class_num, in_channels=3, widths=(64, 128, 256, 256), dropout_rate=0.5,
                 per_sample_context=True, context_kernel=1, contrast=None):
        super().__init__()
        # contrast = (std, floor): each input image is shifted to mean 0 and scaled to standard
        # deviation `std` (its own deviation taken as at least `floor`) before the first conv, so
        # faded, dark and washed-out crops reach the network with the contrast of clear ones
        # (metadata platetop.contrast_std / platetop.contrast_floor; None: the input as it is)
        self.contrast = None if contrast is None else (float(contrast[0]), float(contrast[1]))
        if context_kernel < 1 or context_kernel % 2 == 0:
            raise ValueError(f"context_kernel {context_kernel}: need an odd width >= 1")
        self.context_kernel = context_kernel
        c0, b1, b2, head = widths
        self.class_num = class_num
        self.in_channels = in_channels
        self.widths = tuple(widths)
        self.per_sample_context = per_sample_context
        b1_kept = (b1 + 1) // 2
        b2_kept = (b2 + 3) // 4
        self.backbone = nn.Sequential(
            nn.Conv2d(in_channels, c0, kernel_size=3, stride=1),      # 0
            nn.BatchNorm2d(c0),
            nn.ReLU(),                                                # 2 -> f0
            nn.MaxPool2d(kernel_size=3, stride=1),                    # 3 (== MaxPool3d (1,3,3) s 1)
            small_basic_block(c0, b1),                                # 4
            nn.BatchNorm2d(b1),
            nn.ReLU(),                                                # 6 -> f1
            _ChannelStridePool(2),                                    # 7
            small_basic_block(b1_kept, b2),                           # 8
            nn.BatchNorm2d(b2),
            nn.ReLU(),                                                # 10
            small_basic_block(b2, b2),                                # 11
            nn.BatchNorm2d(b2),                                       # 12
            nn.ReLU(),                                                # 13 -> f2
            _ChannelStridePool(4),                                    # 14
            nn.Dropout(dropout_rate),
            nn.Conv2d(b2_kept, head, kernel_size=(1, 4), stride=1),   # 16
            nn.BatchNorm2d(head),
            nn.ReLU(),                                                # 18
            nn.Dropout(dropout_rate),
            nn.Conv2d(head, class_num, kernel_size=(13, 1), stride=1),  # 20
            nn.BatchNorm2d(class_num),
            nn.ReLU(),                                                # 22 -> f3
        )
        self.container = nn.Sequential(
            nn.Conv2d(c0 + b1 + b2 + class_num, class_num, kernel_size=(1, context_kernel), stride=(1, 1),
                      padding=(0, context_kernel // 2)),
        )

    def forward(self, x):
        if self.contrast is not None:
            x = normalise_contrast(x, *self.contrast)
        seed_width = x.shape[3] == INPUT_WIDTH
        keep = []
        for i, layer in enumerate(self.backbone.children()):
            x = layer(x)
            if i in (2, 6, 13, 22):
                keep.append(x)
        context = []
        t = keep[3].shape[3]
        for i, f in enumerate(keep):
            if i in (0, 1):
                f = nn.functional.avg_pool2d(f, kernel_size=5, stride=5) if seed_width else _adaptive_context(f, t)
            elif i == 2:
                f = nn.functional.avg_pool2d(f, kernel_size=(4, 10), stride=(4, 2))
            sq = f * f
            if self.per_sample_context:
                m = sq.mean(dim=(1, 2, 3), keepdim=True)
            else:
                m = sq.mean()  # seed: one scalar over the whole batch
            context.append(f / m)
        if any(c.shape[2] != context[3].shape[2] for c in context):
            context = [c.mean(dim=2, keepdim=True) for c in context]
        x = torch.cat(context, 1)
        x = self.container(x)
        return x.mean(dim=2)

    def load_exported(self, tensors):
        """Copies the tensors of an exported model (safetensors_io.load) into this one; the file holds
        every state-dict entry but num_batches_tracked. Raises ValueError on a missing or misshapen one.
        A 1x1 container loads into a wider context kernel as its centre column (the other columns
        zero), so the widened model starts out reading exactly what the file reads."""
        sd = self.state_dict()
        for k in sd:
            if k.endswith("num_batches_tracked"):
                continue
            if k not in tensors:
                raise ValueError(f"{k} is missing")
            if (k == "container.0.weight" and self.context_kernel > 1
                    and tuple(tensors[k].shape) == tuple(sd[k].shape[:3]) + (1,)):
                w = torch.zeros_like(sd[k])
                w[:, :, :, self.context_kernel // 2] = torch.from_numpy(tensors[k][:, :, :, 0].copy())
                sd[k] = w
                continue
            if tuple(tensors[k].shape) != tuple(sd[k].shape):
                raise ValueError(f"{k} has shape {tuple(tensors[k].shape)}, expected {tuple(sd[k].shape)}")
            sd[k] = torch.from_numpy(tensors[k].copy())
        self.load_state_dict(sd)
        return self

    def parameter_count(self):
        """Learnable parameters (conv weights/biases, BN affine); 446,976 for the seed."""
        return sum(p.numel() for p in self.parameters())

    def use_seed_pools(self):
        """Swaps the channel-stride pools for the seed's literal nn.MaxPool3d modules (same
        result on 4-D input; used by the reference and benchmark scripts for fidelity)."""
        self.backbone[7] = nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(2, 1, 2))
        self.backbone[14] = nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(4, 1, 2))
        return self
