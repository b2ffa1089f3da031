"""Label lines from a generated history, standing in for ``ticketbuddy labels export`` output.

Each ticket gets ``metadata.label = {"provenance": "feedback", "source": "synth", "at": created_at}``,
so ``ticketbuddy retrain`` can merge it and hold out the newest. Usage:

    python scripts/synth_feedback.py IN.jsonl OUT.jsonl
"""

import json
import sys
from pathlib import Path


def main(source: str, target: str) -> None:
    """Write every ticket of SOURCE to TARGET with a feedback label dated at its creation."""
    out = Path(target)
    out.parent.mkdir(parents=True, exist_ok=True)
    with Path(source).open(encoding="utf-8") as rows, out.open("w", encoding="utf-8") as handle:
        for line in rows:
            if line.strip():
                row = json.loads(line)
                label = {"provenance": "feedback", "source": "synth", "at": row["created_at"]}
                row["metadata"] = {**row.get("metadata", {}), "label": label}
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
