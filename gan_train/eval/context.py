"""What a metric is given: the model, the data spec, the options, and shared helpers (the test set,
the feature network, the real set's cached features, generated batches). Metrics return their figures
and add notes to ``ctx.notes``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch

from .base import DEFAULT_BATCH_SIZE, DEFAULT_NUM_SAMPLES, EvalError
from .extractors import get_features
from .features import RealFeatures, real_features


@dataclass
class EvalContext:
    model: object
    data: str
    num_samples: int = DEFAULT_NUM_SAMPLES
    batch_size: int = DEFAULT_BATCH_SIZE
    seed: int = 0
    device: str = "cpu"
    fid: bool = True  # False: --no-fid, no Inception metrics
    features: str = "inception"  # the feature network's registered name
    log: Callable[[str], None] = lambda s: None
    notes: list[str] = field(default_factory=list)
    _extractor: object = None

    def __post_init__(self):
        if self.num_samples < 2:
            raise EvalError(f"--num-samples must be at least 2, got {self.num_samples}")
        if self.batch_size < 1:
            raise EvalError(f"--batch-size must be at least 1, got {self.batch_size}")
        get_features(self.features)  # an unknown name fails now, before any generating

    @property
    def n(self) -> int:
        return self.num_samples

    @property
    def extractor(self):
        """The feature network (Inception unless another was asked for), made on first use."""
        if self._extractor is None:
            self._extractor = get_features(self.features).make(str(self.device))
        return self._extractor

    @property
    def condition(self) -> str | None:
        """"class", "age" or None: what the model's images are generated for (its `condition`)."""
        return getattr(self.model, "condition", None)

    def balanced_labels(self, test) -> torch.Tensor:
        """0, 1, .., k-1, 0, 1, ..: an equal count of each class, num_samples rounded down to a multiple of k."""
        k = self.model.num_classes
        if test.condition != "class" or test.num_classes != k:
            raise EvalError(f"the model makes {k} classes; {self.data!r} has "
                            f"{test.num_classes or 'no'} class labels to compare with")
        return torch.arange(max(k, self.n - self.n % k)) % k

    def load(self, split: str = "test", **sizes):
        from ..data import load_dataset

        return load_dataset(self.data, split=split, **sizes)

    def image_test_set(self):
        """The test split at the model's size and channels, checked to be images of that size."""
        m = self.model
        test = self.load(image_size=m.image_size, channels=m.channels)
        self.need_kind(test, ("image",))
        self.check_image_size(test)
        return test

    def real(self, dataset, key: str, n: int) -> RealFeatures:
        found = real_features(dataset, key, n, spec=self.data, inception=self.extractor,
                              batch_size=self.batch_size, log=self.log)
        if found.cached:
            self.log(f"real {key} features: {found.path} (cached)")
        return found

    def need_kind(self, dataset, kinds: tuple[str, ...]) -> None:
        if dataset.kind not in kinds:
            raise EvalError(f"a {self.model.family} model is scored on {' or '.join(kinds)} data, but "
                            f"{self.data!r} is {dataset.kind} data")

    def check_image_size(self, dataset, key: str = "image") -> None:
        item = dataset[0][key]
        model_size = (getattr(self.model, "out_channels", None) or self.model.channels, self.model.image_size)
        if (item.shape[0], item.shape[-1]) != model_size:
            raise EvalError(f"{self.data!r} gives {tuple(item.shape)} images; the model makes {model_size}")

    def generator_batches(self, n: int, **condition) -> Iterator[torch.Tensor]:
        """n generated images in [0, 1], in batches, from fixed noise (seed); condition tensors of length n."""
        noise = self.model.sample_noise(n, self.seed)
        for start in range(0, n, self.batch_size):
            part = {k: v[start : start + self.batch_size] for k, v in condition.items()}
            yield self.model.generate(len(noise[start : start + self.batch_size]),
                                      noise=noise[start : start + self.batch_size], **part).cpu()
