"""Training and scoring: seeded AdamW, early stopping on validation UA, resumable per epoch.

Determinism: every epoch reseeds torch (dropout, SpecAugment masks) and draws its own numpy
generator (shuffle order, random crops) from ``(seed, epoch)``, so epoch e does not depend on
how many random numbers earlier epochs used. A checkpoint written after every epoch holds the
trainable tensors, AdamW's moments (safetensors) and the loop state (JSON); a run killed
between epochs resumes from it and ends with bit-identical weights and metrics.

Metrics: UA = unweighted accuracy = mean per-class recall (``balanced_accuracy_score``), the
paper's number; WA = weighted accuracy = plain accuracy; the confusion matrix over all six
classes (rows: true, columns: predicted).
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import accuracy_score, balanced_accuracy_score, confusion_matrix

from ..models.architectures import SER_CLASSES
from ..errors import AudioscaleError, check_choice, check_int_range, check_positive
from .model import check_duration, forward_logits, prepare_batch

_STATE = "state.json"


@dataclass(frozen=True)
class TrainConfig:
    duration_s: float = 4.0
    pooling: str = "masked"
    epochs: int = 10          # upper bound; early stopping usually ends sooner
    patience: int = 3         # epochs without a better validation UA before stopping
    batch_size: int = 16
    lr: float = 1e-4
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    seed: int = 0
    eval_batch_size: int = 32
    train_crop: str = "anchored"  # see audioscale.ser.model: random | anchored
    device: str = "cpu"           # cpu | cuda (numbers on a GPU differ from CPU ones: own rows)
    amp: str = "none"             # none | bf16 | fp16: autocast for forward and loss (fp16 with a grad scaler)

    def __post_init__(self):
        check_duration(self.duration_s)
        check_int_range("epochs", self.epochs, 1)
        check_int_range("patience", self.patience, 1)
        check_int_range("batch_size", self.batch_size, 1)
        check_positive("lr", self.lr)
        check_choice("train_crop", self.train_crop, ("random", "anchored"))
        check_device_amp(self.device, self.amp)


DEVICES = ("cpu", "cuda")
AMP_DTYPES = {"none": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def check_device_amp(device: str, amp: str) -> None:
    check_choice("device", device, DEVICES)
    check_choice("amp", amp, tuple(AMP_DTYPES))
    if device == "cuda" and not torch.cuda.is_available():
        raise AudioscaleError("device='cuda' but no CUDA GPU is visible. Fix: use --device cpu.")
    if amp == "fp16" and device == "cpu":
        raise AudioscaleError("amp='fp16' is for GPUs. Fix: use --amp bf16 on the CPU, or --device cuda.")


def autocast(device: str, amp: str):
    """Mixed precision for a forward pass (a no-op context when ``amp`` is none)."""
    return torch.autocast(device_type=device, dtype=AMP_DTYPES[amp] or torch.float32, enabled=amp != "none")


@dataclass
class TrainResult:
    best_epoch: int                # 1-based epoch whose weights were kept
    epochs_run: int
    best_val_ua: float
    history: list[dict] = field(default_factory=list)  # per epoch: loss, val_ua, val_wa
    train_examples: int = 0        # examples seen in this process (resumed epochs excluded)
    train_seconds: float = 0.0
    resumed_from_epoch: int = 0


def ser_metrics(y_true, y_pred, n_classes: int = len(SER_CLASSES)) -> dict:
    """{'ua', 'wa', 'confusion'}: UA = balanced accuracy, WA = accuracy, confusion [true, pred]."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return {"ua": float(balanced_accuracy_score(y_true, y_pred)),
            "wa": float(accuracy_score(y_true, y_pred)),
            "confusion": confusion_matrix(y_true, y_pred, labels=list(range(n_classes)))}


@torch.no_grad()
def predict(model, waves, duration_s: float, pooling: str, batch_size: int = 32, device: str = "cpu",
            amp: str = "none") -> np.ndarray:
    """Arg-max class of every clip (centre crop, eval mode).

    With masked pooling the clips go longest first, so each batch is about as long as its
    clips and ``trim_padded_frames`` can drop most of the padding (a clip's prediction does
    not depend on its batch mates). With ``pooling="all"`` padding is part of the input, and
    the clips keep their order.
    """
    was_training = model.training
    model.eval()
    order = np.arange(len(waves))
    if pooling == "masked":
        order = np.argsort([-len(w) for w in waves], kind="stable")
    pred = np.zeros(len(waves), dtype=np.int64)
    for i in range(0, len(waves), batch_size):
        idx = order[i:i + batch_size]
        x, m = prepare_batch([waves[j] for j in idx], duration_s, mode="center")
        with autocast(device, amp):
            logits = forward_logits(model, x.to(device), m.to(device), pooling)
        pred[idx] = logits.argmax(-1).cpu().numpy()
    model.train(was_training)
    return pred


def evaluate(model, waves, labels, duration_s: float, pooling: str, batch_size: int = 32, device: str = "cpu",
             amp: str = "none") -> dict:
    return ser_metrics(labels, predict(model, waves, duration_s, pooling, batch_size, device, amp))


def _trainable(model) -> dict[str, torch.nn.Parameter]:
    return {n: p for n, p in model.named_parameters() if p.requires_grad}


def _snapshot(model) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone().contiguous() for n, p in _trainable(model).items()}


def _restore(model, tensors: dict[str, torch.Tensor]) -> None:
    params = _trainable(model)
    missing = sorted(set(params) - set(tensors))
    if missing:
        raise RuntimeError(f"checkpoint lacks {len(missing)} trainable tensors (first: {missing[0]}): "
                           "it was written by another recipe; delete the checkpoint folder.")
    with torch.no_grad():
        for n, p in params.items():
            p.copy_(tensors[n])


def _save_checkpoint(ckpt_dir: Path, model, opt, state: dict, best: dict[str, torch.Tensor]) -> None:
    """Weights and optimizer moments as safetensors, loop state as JSON; the JSON goes last
    (atomically), so a kill mid-write leaves the previous epoch's checkpoint in force."""
    from safetensors.torch import save_file
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    names = {id(p): n for n, p in _trainable(model).items()}
    moments, steps = {}, {}
    for p, st in opt.state.items():
        n = names[id(p)]
        moments[f"{n}::exp_avg"] = st["exp_avg"].contiguous()
        moments[f"{n}::exp_avg_sq"] = st["exp_avg_sq"].contiguous()
        steps[n] = float(st["step"])
    tag = f"epoch{state['epoch']}"
    def cpu(tensors):  # safetensors writes host memory
        return {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    save_file(cpu(_snapshot(model)), ckpt_dir / f"{tag}.weights.safetensors")
    save_file(cpu(moments) or {"_empty": torch.zeros(1)}, ckpt_dir / f"{tag}.adamw.safetensors")
    save_file(cpu(best), ckpt_dir / f"{tag}.best.safetensors")
    tmp = ckpt_dir / (_STATE + ".tmp")
    tmp.write_text(json.dumps({**state, "tag": tag, "adamw_steps": steps}, indent=1))
    os.replace(tmp, ckpt_dir / _STATE)
    for old in ckpt_dir.glob("epoch*.safetensors"):  # keep only the checkpoint in force
        if not old.name.startswith(tag + "."):
            old.unlink()


def _load_checkpoint(ckpt_dir: Path, model, opt) -> tuple[dict, dict[str, torch.Tensor]]:
    from safetensors.torch import load_file
    state = json.loads((ckpt_dir / _STATE).read_text())
    tag = state["tag"]
    _restore(model, load_file(ckpt_dir / f"{tag}.weights.safetensors"))
    moments = load_file(ckpt_dir / f"{tag}.adamw.safetensors")
    for n, p in _trainable(model).items():
        if n in state["adamw_steps"]:
            opt.state[p] = {"step": torch.tensor(state["adamw_steps"][n]),
                            "exp_avg": moments[f"{n}::exp_avg"].to(p.device),
                            "exp_avg_sq": moments[f"{n}::exp_avg_sq"].to(p.device)}
    device = next(iter(_trainable(model).values())).device
    return state, {k: v.to(device) for k, v in load_file(ckpt_dir / f"{tag}.best.safetensors").items()}


def train(model, train_waves, train_labels, val_waves, val_labels, cfg: TrainConfig,
          ckpt_dir: str | Path | None = None, progress: bool = True,
          stop_after_epochs: int | None = None) -> TrainResult:
    """Train the trainable parameters of ``model`` in place; leave the best-validation weights.

    ``ckpt_dir``: where per-epoch checkpoints go; an existing checkpoint there is resumed.
    ``stop_after_epochs``: return after this many epochs of *this call* (simulates a kill).
    """
    from tqdm.auto import tqdm

    train_labels = np.asarray(train_labels)
    params = _trainable(model)
    opt = torch.optim.AdamW(list(params.values()), lr=cfg.lr, weight_decay=cfg.weight_decay)
    loss_fn = torch.nn.CrossEntropyLoss()
    scaler = torch.amp.GradScaler(cfg.device) if cfg.amp == "fp16" else None  # fp16 gradients underflow
    state = {"epoch": 0, "best_ua": -1.0, "best_epoch": 0, "bad_epochs": 0, "history": [],
             "config": asdict(cfg)}
    best = _snapshot(model)
    ckpt_dir = Path(ckpt_dir) if ckpt_dir is not None else None
    resumed = 0
    if ckpt_dir is not None and (ckpt_dir / _STATE).is_file():
        state, best = _load_checkpoint(ckpt_dir, model, opt)
        if state["config"] != json.loads(json.dumps(asdict(cfg))):
            raise RuntimeError(f"checkpoint in {ckpt_dir.name} was written with another TrainConfig; "
                               "delete the folder to start over.")
        resumed = state["epoch"]

    examples, seconds, done_here = 0, 0.0, 0
    model.train()
    while state["epoch"] < cfg.epochs and state["bad_epochs"] < cfg.patience:
        if stop_after_epochs is not None and done_here >= stop_after_epochs:
            break
        epoch = state["epoch"]
        torch.manual_seed(cfg.seed * 100_003 + epoch)
        rng = np.random.default_rng([cfg.seed, epoch])
        order = rng.permutation(len(train_waves))
        t0, losses = time.perf_counter(), []
        batches = range(0, len(order), cfg.batch_size)
        for i in tqdm(batches, desc=f"epoch {epoch + 1}/{cfg.epochs}", disable=not progress, leave=False):
            idx = order[i:i + cfg.batch_size]
            x, m = prepare_batch([train_waves[j] for j in idx], cfg.duration_s, mode=cfg.train_crop, rng=rng)
            y = torch.from_numpy(train_labels[idx]).long().to(cfg.device)
            with autocast(cfg.device, cfg.amp):
                loss = loss_fn(forward_logits(model, x.to(cfg.device), m.to(cfg.device), cfg.pooling).float(), y)
            opt.zero_grad(set_to_none=True)
            if scaler is None:
                loss.backward()
                torch.nn.utils.clip_grad_norm_(list(params.values()), cfg.grad_clip)
                opt.step()
            else:
                scaler.scale(loss).backward()
                scaler.unscale_(opt)
                torch.nn.utils.clip_grad_norm_(list(params.values()), cfg.grad_clip)
                scaler.step(opt)
                scaler.update()
            losses.append(float(loss.detach()))
        seconds += time.perf_counter() - t0
        examples += len(order)
        val = evaluate(model, val_waves, val_labels, cfg.duration_s, cfg.pooling, cfg.eval_batch_size,
                       cfg.device, cfg.amp)
        state["epoch"] = epoch + 1
        state["history"].append({"epoch": epoch + 1, "loss": float(np.mean(losses)),
                                 "val_ua": val["ua"], "val_wa": val["wa"]})
        if val["ua"] > state["best_ua"]:
            state.update(best_ua=val["ua"], best_epoch=epoch + 1, bad_epochs=0)
            best = _snapshot(model)
        else:
            state["bad_epochs"] += 1
        if ckpt_dir is not None:
            _save_checkpoint(ckpt_dir, model, opt, state, best)
        done_here += 1
    _restore(model, best)
    return TrainResult(state["best_epoch"], state["epoch"], state["best_ua"], state["history"],
                       examples, seconds, resumed)
