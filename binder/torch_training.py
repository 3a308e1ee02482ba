"""A PyTorch training loop on the CPU for binder/torch_training.ipynb.

``TRAINER.train_step()`` runs in a loop in the thread "trainer": a three-layer MLP on a fixed
regression batch, Adam. One mistake a notebook user makes often: the losses are kept as tensors
(``self.history.append(loss.detach())``), not as numbers (``loss.item()``), so live tensors grow
with every step (bounded here at 20,000).
"""

import threading

import torch
from demo_lifeline import serve_until_parent_exits

torch.set_num_threads(1)  # the demo shares a small machine


class Trainer:
    def __init__(self):
        torch.manual_seed(0)
        self.model = torch.nn.Sequential(
            torch.nn.Linear(64, 256),
            torch.nn.ReLU(),
            torch.nn.Linear(256, 256),
            torch.nn.ReLU(),
            torch.nn.Linear(256, 1),
        )
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.inputs = torch.randn(512, 64)
        self.targets = self.inputs[:, :4].sum(dim=1, keepdim=True)
        self.history = []
        self.steps = 0

    def train_step(self):
        self.optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(self.model(self.inputs), self.targets)
        loss.backward()
        self.optimizer.step()
        self.steps += 1
        if len(self.history) < 20_000:
            self.history.append(loss.detach())  # the mistake: loss.item() keeps a float
        return loss


TRAINER = Trainer()


def train():
    while True:
        TRAINER.train_step()


threading.Thread(target=train, name="trainer", daemon=True).start()
serve_until_parent_exits()
