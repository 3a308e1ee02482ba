"""A small PyTorch job training in a thread: what the torch command tests look at.

A two-layer MLP learns a fixed regression on CPU (CUDA with ``--cuda`` when there is one), one
``Trainer.train_step`` per loop turn, in the thread "trainer". The report file (argv[1]) says
the step count, the last and first losses, whether a torch profiler is enabled and whether CUDA
memory history is on, so a test can check that training goes on unharmed after a command.
``--history`` turns CUDA memory history on first (the user's own, which must stay on).
``--fork`` forks in ``Trainer.fork_step`` every 10 steps (its child writes the report + ".child").
``--slow`` calls ``Trainer.slow_step`` (a second long) every 5 steps.
``--own-profiler`` runs a torch profiler of the target's own on the training thread.
``--no-torch`` never imports torch (the command must say so, and not import it either).
``--keep`` keeps the first layer's activations of every KEEP_EVERY-th step in ``Trainer.kept``
(512 x 256 float32 on the device, 512 KiB each, never released): tensors that grow.
"""

import json
import os
import sys
import threading
import time

REPORT = sys.argv[1]
KEEP_EVERY = 5
NO_TORCH = "--no-torch" in sys.argv

if not NO_TORCH:
    import torch

    DEVICE = "cuda" if "--cuda" in sys.argv and torch.cuda.is_available() else "cpu"
    if "--history" in sys.argv and DEVICE == "cuda":
        torch.cuda.memory._record_memory_history(max_entries=5000)

    class Trainer:
        def __init__(self):
            torch.manual_seed(0)
            self.model = torch.nn.Sequential(
                torch.nn.Linear(64, 256),
                torch.nn.ReLU(),
                torch.nn.Linear(256, 256),
                torch.nn.ReLU(),
                torch.nn.Linear(256, 1),
            ).to(DEVICE)
            self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)
            self.inputs = torch.randn(512, 64, device=DEVICE)
            self.targets = self.inputs[:, :4].sum(dim=1, keepdim=True)
            self.steps = 0
            self.losses = []
            self.kept = []

        def train_step(self):
            self.optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(self.model(self.inputs), self.targets)
            loss.backward()
            self.optimizer.step()
            self.steps += 1
            if "--keep" in sys.argv and self.steps % KEEP_EVERY == 0:
                self.kept.append(self.model[0](self.inputs).detach())
            value = float(loss.item())
            self.losses.append(value)
            del self.losses[:-50]
            return value

        def fork_step(self):
            """A step that forks (as a DataLoader starting its workers): the child says whether a
            profiler is on in it, a line appended to the report file + ".child", and exits."""
            self.model(self.inputs).sum()
            pid = os.fork()
            if pid == 0:
                try:
                    with open(REPORT + ".child", "a") as f:
                        f.write(json.dumps({"profiler_enabled": bool(torch._C._autograd._profiler_enabled())}) + "\n")
                finally:
                    os._exit(0)
            os.waitpid(pid, 0)

        def slow_step(self):
            """A step that takes a second (a detach can come while it is profiled)."""
            time.sleep(1.0)
            return self.train_step()

        def evaluate(self):
            with torch.no_grad():
                return float(torch.nn.functional.mse_loss(self.model(self.inputs), self.targets))

    TRAINER = Trainer()
    EMBEDDINGS = torch.zeros(1000, 128)  # a module global the tensor census names
else:
    TRAINER = None

STATE = {"steps": 0, "loss": None, "first_loss": None, "errors": 0, "profiler_enabled": False}


def state():
    out = dict(STATE)
    out["kept"] = len(TRAINER.kept) if TRAINER is not None else 0
    if not NO_TORCH:
        out["history"] = bool(DEVICE == "cuda" and torch._C._cuda_isHistoryEnabled())
        out["device"] = DEVICE
    return out


def train():
    if "--own-profiler" in sys.argv:  # the target profiles itself (on, for good, on this thread)
        own = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU])
        own.__enter__()
    while True:
        if NO_TORCH:
            time.sleep(0.05)
            continue
        try:
            loss = TRAINER.train_step()
            if "--slow" in sys.argv and TRAINER.steps % 5 == 0:
                TRAINER.slow_step()
            if "--fork" in sys.argv and TRAINER.steps % 10 == 0:
                TRAINER.fork_step()
            STATE["steps"] = TRAINER.steps
            # per thread in torch: read on the training thread, between steps
            STATE["profiler_enabled"] = bool(torch._C._autograd._profiler_enabled())
            STATE["loss"] = loss
            if STATE["first_loss"] is None:
                STATE["first_loss"] = loss
        except Exception:
            STATE["errors"] += 1
        time.sleep(0.005)


def report():
    while True:
        with open(REPORT + ".tmp", "w") as f:
            json.dump(state(), f)
        os.replace(REPORT + ".tmp", REPORT)
        time.sleep(0.1)


threading.Thread(target=train, name="trainer", daemon=True).start()
threading.Thread(target=report, name="reporter", daemon=True).start()
print("READY", flush=True)
while True:
    time.sleep(1)
