"""LPRNet (sirius-ai/LPRNet_Pytorch layout) with configurable widths.

State-dict keys are identical to the reference implementation so that the
Swift engine can load either the reference weights or our own model.
"""
import torch
import torch.nn as nn


class small_basic_block(nn.Module):
    def __init__(self, ch_in, ch_out):
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv2d(ch_in, ch_out // 4, kernel_size=1),
            nn.ReLU(),
            nn.Conv2d(ch_out // 4, ch_out // 4, kernel_size=(3, 1), padding=(1, 0)),
            nn.ReLU(),
            nn.Conv2d(ch_out // 4, ch_out // 4, kernel_size=(1, 3), padding=(0, 1)),
            nn.ReLU(),
            nn.Conv2d(ch_out // 4, ch_out, kernel_size=1),
        )

    def forward(self, x):
        return self.block(x)


class LPRNet(nn.Module):
    """Input [N, in_channels, 24, 94] -> logits [N, class_num, 18]."""

    def __init__(self, class_num, in_channels=3, widths=(64, 128, 256, 256),
                 dropout_rate=0.5, per_sample_context=True):
        super().__init__()
        c0, b1, b2, head = widths
        assert b1 % 2 == 0 and b2 % 4 == 0, "b1 must be even and b2 divisible by 4"
        self.class_num = class_num
        self.widths = tuple(widths)
        self.in_channels = in_channels
        self.per_sample_context = per_sample_context
        self.backbone = nn.Sequential(
            nn.Conv2d(in_channels, c0, kernel_size=3, stride=1),              # 0
            nn.BatchNorm2d(c0),
            nn.ReLU(),                                                         # 2
            nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(1, 1, 1)),
            small_basic_block(c0, b1),                                         # 4
            nn.BatchNorm2d(b1),
            nn.ReLU(),                                                         # 6
            nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(2, 1, 2)),
            small_basic_block(b1 // 2, b2),                                    # 8
            nn.BatchNorm2d(b2),
            nn.ReLU(),                                                         # 10
            small_basic_block(b2, b2),                                         # 11
            nn.BatchNorm2d(b2),
            nn.ReLU(),                                                         # 13
            nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(4, 1, 2)),             # 14
            nn.Dropout(dropout_rate),
            nn.Conv2d(b2 // 4, head, kernel_size=(1, 4), stride=1),            # 16
            nn.BatchNorm2d(head),
            nn.ReLU(),                                                         # 18
            nn.Dropout(dropout_rate),
            nn.Conv2d(head, class_num, kernel_size=(13, 1), stride=1),         # 20
            nn.BatchNorm2d(class_num),
            nn.ReLU(),                                                         # 22
        )
        self.container = nn.Sequential(
            nn.Conv2d(c0 + b1 + b2 + class_num, class_num, kernel_size=(1, 1), stride=(1, 1)),
        )

    def forward(self, x):
        keep = []
        for i, layer in enumerate(self.backbone.children()):
            x = layer(x)
            if i in (2, 6, 13, 22):
                keep.append(x)
        ctx = []
        for i, f in enumerate(keep):
            if i in (0, 1):
                f = nn.functional.avg_pool2d(f, kernel_size=5, stride=5)
            elif i == 2:
                f = nn.functional.avg_pool2d(f, kernel_size=(4, 10), stride=(4, 2))
            if self.per_sample_context:
                m = torch.mean(f * f, dim=(1, 2, 3), keepdim=True)
            else:
                m = torch.mean(f * f)
            ctx.append(f / m)
        x = torch.cat(ctx, 1)
        x = self.container(x)
        return torch.mean(x, dim=2)
