"""Fine-tuning from an exported model (finetune_from.py, onnx_weights.py): python3 -m unittest discover -s models/training"""
import io
import json
import os
import subprocess
import sys
import tempfile
import unittest

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import finetune_from as F  # noqa: E402
from export import export  # noqa: E402
from finetune import build_tagger  # noqa: E402
from onnx_weights import rebuild  # noqa: E402
from settings import SMOKE, resolve  # noqa: E402


def write_lines(folder, name, objs):
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as f:
        for o in objs:
            f.write((o if isinstance(o, str) else json.dumps(o, ensure_ascii=False)) + "\n")
    return path


def tiny_export(folder, seed=3):
    """A small random tagger exported like the pipeline exports one."""
    torch.manual_seed(seed)
    cfg = dict(resolve(smoke=True), pretrained=None, teachers=[], lexicon=[])
    vocab = ["[PAD]", "[UNK]", "[SPACE]", "[MASK]"] + list("患者行胆囊切除术头孢曲松右肺结节示")
    model = build_tagger(cfg, len(vocab))
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    best = os.path.join(folder, "best.pt")
    torch.save({"model": model.state_dict(), "cfg": cfg, "vocab": vocab, "dev": {}, "epoch": 1}, best)
    out = os.path.join(folder, "model")
    export(best, out, {"data": "test"})
    return out, model


class RebuildTest(unittest.TestCase):
    def test_the_network_rebuilt_from_onnx_has_the_exported_weights(self):
        with tempfile.TemporaryDirectory() as d:
            out, model = tiny_export(d)
            rebuilt, meta = rebuild(out)
            self.assertEqual(meta["architecture"]["hidden"], SMOKE["hidden"])
            for name, tensor in model.state_dict().items():
                self.assertTrue(torch.allclose(tensor, rebuilt.state_dict()[name], atol=1e-6), name)

    def test_the_settings_of_an_export_name_its_own_lexicon_file_or_none(self):
        from onnx_weights import architecture
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bbrac", "model.json"),
                  encoding="utf-8") as f:
            meta = json.load(f)
        cfg = architecture(meta, "/m")
        self.assertEqual((cfg["lexicon"], cfg["lexicon_file"]), ([], "/m/" + meta["lexicon"]["file"]))
        # Without a lexicon block, no dictionary features, whatever the recipe's defaults say.
        cfg = architecture({k: v for k, v in meta.items() if k != "lexicon"})
        self.assertEqual((cfg["lexicon"], cfg["lexicon_file"]), ([], None))

    def test_an_onnx_file_that_is_not_model_jsons_is_refused(self):
        with tempfile.TemporaryDirectory() as d:
            out, _ = tiny_export(d)
            with open(os.path.join(out, "model.onnx"), "ab") as f:
                f.write(b"\0")
            with self.assertRaisesRegex(ValueError, "does not match the sha256"):
                rebuild(out)


class CuratedReadTest(unittest.TestCase):
    def test_yidu_and_medner_json_lines_with_chinese_or_english_types(self):
        with tempfile.TemporaryDirectory() as d:
            path = write_lines(d, "c.jsonl", [
                "\ufeff" + json.dumps({"originalText": "右肺结节", "entities": [{"label_type": "解剖部位", "start_pos": 0, "end_pos": 2, "overlap": 0}]}, ensure_ascii=False),
                "",
                {"text": "头孢曲松", "entities": [{"start": 0, "end": 4, "label": "drug"}]},
            ])
            self.assertEqual(F.read_curated(path), [
                {"text": "右肺结节", "entities": [(0, 2, "解剖部位")]},
                {"text": "头孢曲松", "entities": [(0, 4, "药物")]},
            ])

    def test_bad_records_are_refused_with_file_and_line(self):
        cases = [
            ({"originalText": "右肺", "entities": [{"label_type": "症状", "start_pos": 0, "end_pos": 2}]}, "c.jsonl:2: unknown entity type '症状'"),
            ({"originalText": "右肺", "entities": [{"label_type": "解剖部位", "start_pos": 1, "end_pos": 5}]}, "c.jsonl:2: entity offsets 1..5 outside"),
            ({"text": "右肺结节", "entities": [{"start": 0, "end": 3, "label": "anatomy"}, {"start": 2, "end": 4, "label": "disease"}]}, "c.jsonl:2: overlapping"),
            ({"words": []}, "c.jsonl:2: neither originalText"),
            ("{not json", "c.jsonl:2: not JSON: {not json"),
        ]
        with tempfile.TemporaryDirectory() as d:
            for bad, message in cases:
                path = write_lines(d, "c.jsonl", [{"originalText": "好", "entities": []}, bad])
                with self.assertRaises(F.FinetuneError) as e:
                    F.read_curated(path)
                self.assertIn(message, str(e.exception))
                self.assertNotIn("\n", str(e.exception))


class SplitTest(unittest.TestCase):
    def records(self, n):
        return [{"text": f"记录{i}", "entities": []} for i in range(n)]

    def test_enough_records_hold_out_a_part(self):
        records = self.records(100)
        train, test, folds = F.split_curated(records, F.FT_DEFAULTS)
        self.assertEqual((len(train), len(test)), (80, 20))
        self.assertEqual(folds, [(train, test)])
        self.assertEqual(sorted(r["text"] for r in train + test), sorted(r["text"] for r in records))
        self.assertEqual(F.split_curated(records, F.FT_DEFAULTS)[1], test, "seeded: a rerun holds out the same records")

    def test_few_records_cross_validate_and_the_final_model_trains_on_all(self):
        records = self.records(12)
        train, test, folds = F.split_curated(records, F.FT_DEFAULTS)
        self.assertEqual((train, test, len(folds)), (records, [], 5))
        held = [r["text"] for _, t in folds for r in t]
        self.assertEqual(sorted(held), sorted(r["text"] for r in records), "every record held out exactly once")
        for fold_train, fold_test in folds:
            self.assertFalse({r["text"] for r in fold_train} & {r["text"] for r in fold_test})

    def test_a_single_record_trains_without_scores(self):
        self.assertEqual(F.split_curated(self.records(1), F.FT_DEFAULTS), (self.records(1), [], []))


class SettingsTest(unittest.TestCase):
    def test_known_settings_of_the_right_type_apply(self):
        cfg = F.resolve_settings(["epochs=2", "lr_top=0.001", "replay=0", "max_steps=3"])
        self.assertEqual((cfg["epochs"], cfg["lr_top"], cfg["replay"], cfg["max_steps"]), (2, 0.001, 0, 3))

    def test_unknown_or_mistyped_settings_are_refused(self):
        for kv, message in (("epoch=2", "not one of the fine-tuning settings"), ("epochs=2.5", "epochs takes a value like "),
                            ("epochs", "not one of"), ("lr_top=fast", "not JSON")):
            with self.assertRaisesRegex(F.FinetuneError, message):
                F.resolve_settings([kv])


class ProgressTest(unittest.TestCase):
    def test_one_json_line_per_event_on_the_stream(self):
        stream, logged = io.StringIO(), []
        progress = F.Progress(logged.append, stream)
        progress("train", 0.25, "epoch 1/4", epoch=1)
        progress("done", 1.5, "done", out="/m")
        lines = [json.loads(line) for line in stream.getvalue().splitlines()]
        self.assertEqual(lines, [{"medner_progress": {"stage": "train", "fraction": 0.25, "message": "epoch 1/4", "epoch": 1}},
                                 {"medner_progress": {"stage": "done", "fraction": 1.0, "message": "done", "out": "/m"}}])
        self.assertEqual(logged, ["epoch 1/4", "done"])


class TrainTest(unittest.TestCase):
    def test_training_moves_towards_the_curated_labels_and_resumes(self):
        """The gold term wins over distillation where a curated record disagrees with the base model."""
        with tempfile.TemporaryDirectory() as d:
            out, _ = tiny_export(d)
            record = {"text": "患者行胆囊切除术", "entities": [(3, 8, "手术")]}
            cfg = dict(F.FT_DEFAULTS, epochs=8, lr_encoder=3e-3, lr_top=1e-2, warmup=0.0, replay=0, distill_curated=0.1, threads=1)
            events = []
            run_dir = os.path.join(d, "run")

            def report(stage, fraction, message, **extra):
                events.append((stage, fraction))

            base, meta = rebuild(out)
            before = F.score(base, [record], meta)["micro"]["f1"]
            model, _, history = F.train_one(out, cfg, [record], [], [], run_dir, report, (0.0, 1.0))
            after = F.score(model, [record], meta)["micro"]["f1"]
            self.assertEqual(before, 0.0)
            self.assertEqual(after, 1.0)
            self.assertEqual(len(history), 8)
            self.assertTrue(all(b >= a for a, b in zip([f for _, f in events], [f for _, f in events][1:])))
            # A rerun finds every epoch done and returns the same weights without training.
            events.clear()
            again, _, _ = F.train_one(out, cfg, [record], [], [], run_dir, report, (0.0, 1.0))
            self.assertEqual(events, [("train", 0.0)])
            for name, tensor in model.state_dict().items():
                self.assertTrue(torch.equal(tensor, again.state_dict()[name]), name)


class CommandTest(unittest.TestCase):
    def test_bad_invocations_stop_before_any_work_with_one_line_and_status_2(self):
        here = os.path.dirname(os.path.abspath(__file__))
        base = os.path.join(here, "..", "bbrac")
        with tempfile.TemporaryDirectory() as d:
            curated = write_lines(d, "c.jsonl", [{"originalText": "右肺", "entities": [{"label_type": "解剖", "start_pos": 0, "end_pos": 2}]}])
            cases = [
                (["--curated", curated, "--out", base], "the output folder is the base model's"),
                (["--curated", os.path.join(d, "missing.jsonl"), "--out", os.path.join(d, "m")], "missing.jsonl: no such file"),
                (["--out", os.path.join(d, "m")], "needs at least one --curated FILE"),
                (["--curated", curated, "--out", os.path.join(d, "m"), "--set", "epochs=x"], "--set epochs=x: the value is not JSON"),
                (["--curated", curated, "--out", os.path.join(d, "m")], "c.jsonl:1: unknown entity type '解剖'"),
            ]
            for extra, message in cases:
                r = subprocess.run([sys.executable, os.path.join(here, "pipeline.py"), "--finetune-from", base] + extra,
                                   capture_output=True, text=True)
                self.assertEqual(r.returncode, 2, r.stderr)
                lines = [line for line in r.stderr.splitlines() if not line.startswith('{"medner_progress"')]
                self.assertEqual(len(lines), 1, r.stderr)
                self.assertTrue(lines[0].startswith("medner: ") and message in lines[0], lines[0])
            self.assertFalse(os.path.exists(os.path.join(d, "m", "model.onnx")))


if __name__ == "__main__":
    unittest.main()
