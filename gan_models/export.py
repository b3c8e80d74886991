"""ONNX export of a model's generator(s), for CPU runtimes and other languages.

    import gan_models
    paths = gan_models.export_onnx(gan_models.load("weights/dcgan-mnist"), "exported/")

Each family declares its graphs in ``export_graphs()``: a name ("generator", "a2b", "decoder", ...), the
function of the inputs that ``generate`` / ``translate`` compute (images in [0, 1]), and example inputs.
Graphs are exported in eval mode (BatchNorm uses its running statistics, dropout is off) with a dynamic
batch dimension, through torch.onnx's exporter (``pip install onnx onnxscript``). ``export.json`` beside
the files lists every graph's inputs and outputs.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch
from torch import nn

from .hub import GANModel


class _Graph(nn.Module):
    """The export_graphs function of a model as a module torch.onnx can trace."""

    def __init__(self, model: GANModel, fn):
        super().__init__()
        self.model, self.fn = model, fn

    def forward(self, *inputs):
        return self.fn(*inputs)


def export_onnx(model: GANModel, folder: str | Path, opset: int = 18) -> list[Path]:
    """Write ``<family>-<graph>.onnx`` for each graph of ``model`` (and ``export.json``); returns the paths."""
    try:
        import onnxscript  # noqa: F401 - torch.onnx's exporter needs it
    except ImportError as err:
        raise ImportError("ONNX export needs onnx and onnxscript: pip install 'gan-toolkit[export]'") from err
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    was_training = model.training
    model.eval()
    paths, described = [], {}
    try:
        for name, (fn, inputs) in model.export_graphs().items():
            graph = _Graph(model, fn).eval()
            example = tuple(t.to(model.device) for t in inputs.values())
            with torch.no_grad():
                outputs = graph(*example)
            outputs = outputs if isinstance(outputs, tuple) else (outputs,)
            output_names = ["images"] if len(outputs) == 1 else [f"stage_{i + 1}" for i in range(len(outputs))]
            if "images" in inputs:  # translators: images in, translated images out
                output_names = ["translated"]
            if model.family == "curvegan":
                output_names = ["curves"]
            batch = torch.export.Dim("batch", min=1, max=65536)
            path = folder / f"{model.family}-{name}.onnx"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the exporter's notes on its own internals
                torch.onnx.export(graph, example, str(path), input_names=list(inputs), output_names=output_names,
                                  dynamic_shapes=(tuple({0: batch} for _ in example),), opset_version=opset,
                                  dynamo=True, verbose=False)  # (the varargs of _Graph.forward: one tuple)
            paths.append(path)
            described[path.name] = {
                "inputs": {k: {"shape": ["batch", *t.shape[1:]], "dtype": str(t.dtype).replace("torch.", "")}
                           for k, t in inputs.items()},
                "outputs": {k: {"shape": ["batch", *o.shape[1:]], "range": "[0, 1]" if k != "curves" else "raw"}
                            for k, o in zip(output_names, outputs)},
            }
    finally:
        model.train(was_training)
    (folder / "export.json").write_text(json.dumps({"family": model.family, "graphs": described}, indent=1))
    return paths
