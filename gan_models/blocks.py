"""Building blocks shared by the model families.

DCGAN stacks (used by DCGAN, the conditional GAN, StackGAN stage I and the VAE), the PatchGAN
discriminator (CycleGAN and pix2pix), the ResNet and U-Net generators, and the label / age
embeddings that condition a network.
"""

from __future__ import annotations

import functools
import math

import torch
from torch import nn

DCGAN_SIZES = (28, 32, 64, 128, 256)


def dcgan_geometry(image_size: int) -> tuple[int, int]:
    """(base, n_up): the image is ``base * 2**n_up`` px, base 4 (or 7 for 28 px MNIST-sized images)."""
    for base in (4, 7):
        n_up = math.log2(image_size / base)
        if n_up >= 1 and n_up == int(n_up):
            return base, int(n_up)
    raise ValueError(
        f"image_size={image_size} is not supported by the DCGAN stack: use 4*2**k or 7*2**k px "
        f"(e.g. {', '.join(map(str, DCGAN_SIZES))})."
    )


def dcgan_generator(in_features: int, image_size: int, channels: int, ngf: int) -> nn.Sequential:
    """Radford et al.'s generator: a 1x1 code -> base x base -> doubling up to image_size, tanh.

    At 64 px with in_features=100, ngf=64 this is exactly pytorch/examples' netG.
    """
    base, n_up = dcgan_geometry(image_size)
    width = ngf * 2 ** (n_up - 1)
    layers: list[nn.Module] = [
        nn.ConvTranspose2d(in_features, width, base, 1, 0, bias=False),
        nn.BatchNorm2d(width),
        nn.ReLU(True),
    ]
    for _ in range(n_up - 1):
        layers += [nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(width // 2), nn.ReLU(True)]
        width //= 2
    layers += [nn.ConvTranspose2d(width, channels, 4, 2, 1, bias=False), nn.Tanh()]
    return nn.Sequential(*layers)


def dcgan_encoder(image_size: int, channels: int, ndf: int, batch_norm: bool = True) -> tuple[nn.Sequential, int, int]:
    """The discriminator's convolutional body: image -> (width, base, base) features.

    Returns (body, width, base). BatchNorm everywhere but the first layer (unless ``batch_norm``
    is off), LeakyReLU(0.2).
    """
    base, n_down = dcgan_geometry(image_size)
    layers: list[nn.Module] = [nn.Conv2d(channels, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)]
    width = ndf
    for _ in range(n_down - 1):
        norm = nn.BatchNorm2d(width * 2) if batch_norm else nn.Identity()
        layers += [nn.Conv2d(width, width * 2, 4, 2, 1, bias=False), norm, nn.LeakyReLU(0.2, inplace=True)]
        width *= 2
    return nn.Sequential(*layers), width, base


class DCGANDiscriminator(nn.Module):
    """Radford et al.'s discriminator, returning one logit per image (no sigmoid: the losses
    use the logits, which stays exact under mixed precision). With ``embedding`` it becomes a
    projection discriminator (Miyato & Koyama 2018): logit += <embed(condition), pooled features>.

    ``spectral_norm`` (Miyato et al. 2018) divides every convolution's weight by its largest
    singular value, keeping D 1-Lipschitz per layer; BatchNorm is then dropped, as in SN-GAN.
    """

    def __init__(self, image_size: int, channels: int, ndf: int, embedding: nn.Module | None = None,
                 spectral_norm: bool = False, aux_outputs: int = 0):
        super().__init__()
        self.main, width, base = dcgan_encoder(image_size, channels, ndf, batch_norm=not spectral_norm)
        self.head = nn.Conv2d(width, 1, base, 1, 0, bias=False)
        if spectral_norm:
            for module in [*self.main, self.head]:
                if isinstance(module, nn.Conv2d):
                    nn.utils.parametrizations.spectral_norm(module)
        self.embedding = embedding
        self.feature_width = width
        # AC-GAN-style auxiliary head (Odena et al. 2017): predicts the condition from the image itself
        self.aux = nn.Linear(width, aux_outputs) if aux_outputs else None

    def forward(self, x: torch.Tensor, condition: torch.Tensor | None = None, return_aux: bool = False):
        """Logits (n,); with ``return_aux`` also the auxiliary head's (n, aux_outputs) predictions."""
        features = self.main(x)
        logit = self.head(features).flatten(1).squeeze(1)
        if self.embedding is not None:
            if condition is None:
                raise ValueError("this discriminator is conditional: pass the label or age")
            pooled = features.sum(dim=(2, 3))
            logit = logit + (self.embedding(condition) * pooled).sum(dim=1)
        if not return_aux:
            return logit
        if self.aux is None:
            raise ValueError("this discriminator has no auxiliary head (built with aux_outputs=0)")
        return logit, self.aux(features.mean(dim=(2, 3)))


# -- conditioning ------------------------------------------------------------------------
class ClassEmbedding(nn.Embedding):
    """Class label -> vector. Labels outside [0, num_classes) get a clear error.

    Starts at N(0, 0.02) like every other weight (and the age anchors): nn.Embedding's N(0, 1) made
    the label outweigh the noise in G's first layer, and G learned one image per class, ignoring its
    noise (measured on the cGAN: within-class spread 0.05 vs 0.23; on StackGAN: one image per class).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, **kwargs):
        super().__init__(num_embeddings, embedding_dim, **kwargs)
        nn.init.normal_(self.weight, 0.0, 0.02)

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        labels = labels.long()
        # (skipped while torch.export traces for ONNX: a data-dependent check cannot be exported)
        if not torch.compiler.is_compiling() and labels.numel() and (labels.min() < 0 or labels.max() >= self.num_embeddings):
            raise ValueError(f"labels must be in [0, {self.num_embeddings - 1}], got {labels.tolist()}")
        return super().forward(labels)


class AgeEmbedding(nn.Module):
    """Age in years -> vector, by linear interpolation between learned anchors.

    Anchors sit at the centres of age groups (by default the ten decades of CAAE, 5, 15, ..., 95).
    A face aged 37 gets 0.8 of the 35 anchor plus 0.2 of the 45 anchor. This keeps what group schemes do well (each anchor is learned from many faces,
    so sparse ages borrow strength from their group) while the slider stays continuous: between
    two ages the condition moves smoothly, so "young to old" is a smooth strip, not 10 jumps.
    Ages outside the anchor range are clamped.
    """

    def __init__(self, dim: int, min_age: float = 5.0, max_age: float = 95.0, num_anchors: int = 10):
        super().__init__()
        self.register_buffer("anchors_at", torch.linspace(min_age, max_age, num_anchors), persistent=False)
        self.anchors = nn.Parameter(torch.randn(num_anchors, dim) * 0.02)
        self.min_age, self.max_age, self.num_anchors = min_age, max_age, num_anchors

    def forward(self, age: torch.Tensor) -> torch.Tensor:
        age = age.float().clamp(self.min_age, self.max_age)
        position = (age - self.min_age) / (self.max_age - self.min_age) * (self.num_anchors - 1)
        low = position.floor().long().clamp(max=self.num_anchors - 2)
        frac = (position - low.float()).unsqueeze(-1)
        return self.anchors[low] * (1 - frac) + self.anchors[low + 1] * frac


class LatentMapping(nn.Module):
    """Moves the noise to where the condition holds: z' = z + f(z, embedding), f a small MLP.

    The condition then reaches the generator only through its noise, so an unconditional
    generator (pretrained, possibly frozen) draws every condition on its own image manifold, and
    the residual form keeps what the noise already says (an identity) while the condition changes.
    f's last layer starts at zero: z' = z until training teaches the condition.
    """

    def __init__(self, nz: int, embed_dim: int, width: int):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(nz + embed_dim, width), nn.LeakyReLU(0.2),
                                 nn.Linear(width, width), nn.LeakyReLU(0.2), nn.Linear(width, nz))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for layer in self.net:
            if isinstance(layer, nn.Linear):
                layer.reset_parameters()  # PyTorch's fan-in scaling, not the DCGAN N(0, 0.02)
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, z: torch.Tensor, embedded: torch.Tensor) -> torch.Tensor:
        return z + self.net(torch.cat([z, embedded], dim=1))


def freeze(network: nn.Module) -> nn.Module:
    """Fix a trained network's weights for good: no gradients, and BatchNorm always normalises with
    its stored statistics (torchvision's FrozenBatchNorm2d), in training as in sampling."""
    from torchvision.ops.misc import FrozenBatchNorm2d

    for name, child in network.named_children():
        if isinstance(child, nn.BatchNorm2d):
            setattr(network, name, FrozenBatchNorm2d(child.num_features, eps=child.eps))
        else:
            freeze(child)
    return network.requires_grad_(False)


def make_embedding(condition: str, num_classes: int, dim: int) -> nn.Module:
    if condition == "class":
        return ClassEmbedding(num_classes, dim)
    if condition == "age":
        return AgeEmbedding(dim)
    raise ValueError(f"condition must be 'class' or 'age', got {condition!r}")


# -- image-to-image ----------------------------------------------------------------------
def norm_layer(kind: str):
    """'instance' (CycleGAN; no affine, no running stats, as junyanz) or 'batch' (pix2pix)."""
    if kind == "instance":
        return functools.partial(nn.InstanceNorm2d, affine=False, track_running_stats=False)
    if kind == "batch":
        return functools.partial(nn.BatchNorm2d, affine=True, track_running_stats=True)
    raise ValueError(f"norm must be 'instance' or 'batch', got {kind!r}")


class PatchGAN(nn.Module):
    """The 70x70 PatchGAN of Isola et al. (n_layers=3): one logit per overlapping patch.

    Shared by CycleGAN (in_channels = image channels, instance norm) and pix2pix (in_channels =
    input + output channels, batch norm), as in junyanz/pytorch-CycleGAN-and-pix2pix.
    """

    def __init__(self, in_channels: int = 3, ndf: int = 64, n_layers: int = 3, norm: str = "instance"):
        super().__init__()
        norm_fn = norm_layer(norm)
        use_bias = norm == "instance"
        layers: list[nn.Module] = [nn.Conv2d(in_channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers + 1):
            prev, mult = mult, min(2**n, 8)
            stride = 2 if n < n_layers else 1
            layers += [
                nn.Conv2d(ndf * prev, ndf * mult, 4, stride, 1, bias=use_bias),
                norm_fn(ndf * mult),
                nn.LeakyReLU(0.2, True),
            ]
        layers += [nn.Conv2d(ndf * mult, 1, 4, 1, 1)]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class ResnetBlock(nn.Module):
    def __init__(self, dim: int, norm_fn, use_bias: bool):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=use_bias), norm_fn(dim), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=use_bias), norm_fn(dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    """Johnson et al.'s ResNet generator as used by CycleGAN: c7s1-64, d128, d256, n x R256,
    u128, u64, c7s1-3, with reflection padding and instance norm."""

    def __init__(self, in_channels=3, out_channels=3, ngf=64, n_blocks=9, norm="instance", n_down=2):
        super().__init__()
        norm_fn = norm_layer(norm)
        use_bias = norm == "instance"
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3), nn.Conv2d(in_channels, ngf, 7, bias=use_bias), norm_fn(ngf), nn.ReLU(True)
        ]
        for i in range(n_down):
            mult = 2**i
            layers += [nn.Conv2d(ngf * mult, ngf * mult * 2, 3, 2, 1, bias=use_bias), norm_fn(ngf * mult * 2), nn.ReLU(True)]
        mult = 2**n_down
        layers += [ResnetBlock(ngf * mult, norm_fn, use_bias) for _ in range(n_blocks)]
        for i in range(n_down):
            mult = 2 ** (n_down - i)
            layers += [
                nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, 2, 1, output_padding=1, bias=use_bias),
                norm_fn(ngf * mult // 2),
                nn.ReLU(True),
            ]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, out_channels, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class UnetBlock(nn.Module):
    """One level of the U-Net: down -> (inner levels) -> up, concatenated with its input."""

    def __init__(self, outer, inner, input_nc=None, submodule=None, outermost=False, innermost=False,
                 norm_fn=nn.BatchNorm2d, use_bias=False, dropout=False):
        super().__init__()
        self.outermost = outermost
        input_nc = outer if input_nc is None else input_nc
        down = [nn.Conv2d(input_nc, inner, 4, 2, 1, bias=use_bias)]
        if outermost:
            up = [nn.ReLU(True), nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1), nn.Tanh()]
            layers = down + [submodule] + up
        elif innermost:
            up = [nn.ReLU(True), nn.ConvTranspose2d(inner, outer, 4, 2, 1, bias=use_bias), norm_fn(outer)]
            layers = [nn.LeakyReLU(0.2, True)] + down + up
        else:
            down = [nn.LeakyReLU(0.2, True)] + down + [norm_fn(inner)]
            up = [nn.ReLU(True), nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1, bias=use_bias), norm_fn(outer)]
            layers = down + [submodule] + up + ([nn.Dropout(0.5)] if dropout else [])
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x) if self.outermost else torch.cat([x, self.model(x)], 1)


class UnetGenerator(nn.Module):
    """pix2pix's U-Net: ``num_downs`` halvings (8 for 256 px) with skip connections."""

    def __init__(self, in_channels=3, out_channels=3, ngf=64, num_downs=8, norm="batch", dropout=True):
        super().__init__()
        if num_downs < 5:
            raise ValueError("the U-Net needs num_downs >= 5 (image_size >= 32)")
        norm_fn = norm_layer(norm)
        kw = {"norm_fn": norm_fn, "use_bias": norm == "instance"}
        block = UnetBlock(ngf * 8, ngf * 8, innermost=True, **kw)
        for _ in range(num_downs - 5):
            block = UnetBlock(ngf * 8, ngf * 8, submodule=block, dropout=dropout, **kw)
        block = UnetBlock(ngf * 4, ngf * 8, submodule=block, **kw)
        block = UnetBlock(ngf * 2, ngf * 4, submodule=block, **kw)
        block = UnetBlock(ngf, ngf * 2, submodule=block, **kw)
        self.model = UnetBlock(out_channels, ngf, input_nc=in_channels, submodule=block, outermost=True, **kw)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


def init_weights(module: nn.Module, gain: float = 0.02) -> None:
    """N(0, 0.02) convolutions and N(1, 0.02) norm scales: the DCGAN / CycleGAN initialisation."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            # under spectral norm, .weight is computed: initialise the stored original instead
            parametrized = nn.utils.parametrize.is_parametrized(m, "weight")
            nn.init.normal_(m.parametrizations.weight.original if parametrized else m.weight, 0.0, gain)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d)) and m.weight is not None:
            nn.init.normal_(m.weight, 1.0, gain)
            nn.init.zeros_(m.bias)


def images_in(images: torch.Tensor, channels: int, size: int | None = None, what: str = "images") -> torch.Tensor:
    """Check a batch of [0, 1] images before it enters a network: clear errors, not shape traces."""
    if not torch.is_tensor(images) or images.dim() != 4:
        shape = tuple(images.shape) if torch.is_tensor(images) else type(images).__name__
        raise ValueError(f"{what} must be a float tensor (n, {channels}, H, W) in [0, 1], got {shape}")
    if images.shape[1] != channels:
        raise ValueError(f"{what} must have {channels} channel(s), got {images.shape[1]}")
    if size is not None and tuple(images.shape[-2:]) != (size, size):
        raise ValueError(f"{what} must be {size}x{size} px, got {images.shape[-2]}x{images.shape[-1]}")
    return images.float()


class eval_mode:
    """Run a module in eval mode (BatchNorm running stats, no dropout), then restore its mode."""

    def __init__(self, *modules):
        self.modules = modules

    def __enter__(self):
        self.was_training = [m.training for m in self.modules]
        for m in self.modules:
            m.eval()

    def __exit__(self, *exc):
        for m, mode in zip(self.modules, self.was_training):
            m.train(mode)
