"""Dev strict micro scores of an exported model through the TypeScript CLI (`medner label` + `medner eval`,
windows as shipped); needs dist/cli.js (`npm run build`)."""
import json
import os
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CLI = os.path.join(ROOT, "dist", "cli.js")


def cli_scores(model_dir, texts, int8=False):
    """`medner eval --json`'s scores of the model's labels of `texts` (Yidu JSON lines, also the gold)."""
    with tempfile.TemporaryDirectory() as tmp:
        pred = os.path.join(tmp, "pred.jsonl")
        subprocess.run(["node", CLI, "label", "--input-format", "yidu", texts, "--model", model_dir, "--out", pred,
                        "--quiet"] + (["--int8"] if int8 else []), check=True)
        return json.loads(subprocess.run(["node", CLI, "eval", "--gold", texts, "--pred", pred, "--json"], check=True,
                                         capture_output=True, text=True).stdout)
