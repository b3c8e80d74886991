"""Run by test_train under `accelerate launch --multi_gpu --num_processes 2`: real 2-rank DDP on CPU.

Fresh interpreters (not a fork of pytest) so no OpenMP thread pool is inherited mid-flight.
"""

import sys

import torch

from gan_train import TrainConfig, Trainer

config = TrainConfig(model="dcgan", data="digits", image_size=32, steps=3, batch_size=8, arch={"ngf": 8, "ndf": 8},
                     tracker="none", progress=False, checkpoint_every=0, sample_every=0, limit=64,
                     output_dir=sys.argv[1])
trainer = Trainer(config)
acc = trainer.accelerator
assert acc.num_processes == 2, acc.num_processes
batch = trainer.next_batch()
for _ in trainer.steps(3):
    pass
flat = torch.cat([p.detach().flatten() for p in trainer.model.parameters()])
gathered = acc.gather(flat[None])  # (2, n): both ranks' parameters
assert torch.equal(gathered[0], gathered[1]), "ranks disagree on the weights after DDP steps"
labels = acc.gather(batch["label"][None])
assert not torch.equal(labels[0], labels[1]), "both ranks saw the same batch"
acc.wait_for_everyone()
if acc.is_main_process:
    print(f"DDP OK: {acc.num_processes} ranks, {flat.numel()} identical parameters")
acc.end_training()
